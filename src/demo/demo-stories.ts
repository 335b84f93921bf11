import { fileURLToPath } from 'node:url';

/** The sample stories' images (<image>.png), served by the web layer in demo mode. */
export const DEMO_IMAGES = fileURLToPath(new URL('./images/', import.meta.url));

/**
 * A day of realistic sample stories for `digest demo`: news and blog posts with votes and comments,
 * some with images, typographic punctuation and non-ASCII names, as the reference site publishes.
 * `hoursAgo` is relative to the moment the demo loads them, which can be any day of the year: no text
 * names a month or a season (a December digest about "this summer" reads as a bug).
 */
export interface DemoStory {
  readonly slug: string;
  readonly kind: 'story' | 'blog';
  readonly title: string;
  readonly summary: string;
  readonly byline: string;
  readonly section: string;
  readonly image?: 'city' | 'market' | 'desert' | 'stadium';
  readonly hoursAgo: number;
  readonly votes: number;
  readonly comments: number;
}

export const DEMO_STORIES: readonly DemoStory[] = [
  {
    slug: 'turkey-russia-idlib',
    kind: 'story',
    title: 'Turkey and Russia discuss reducing tension in Idlib',
    summary:
      'In the last three weeks, 18 health facilities have been hit. Turkish Defence Minister Hulusi Akar and his Russian counterpart discussed developments in Syria’s Idlib province and measures to reduce tension in the area.',
    byline: 'Reuters',
    section: 'World',
    image: 'city',
    hoursAgo: 3,
    votes: 25,
    comments: 7,
  },
  {
    slug: 'amman-water-plan',
    kind: 'story',
    title: 'Amman’s “water-smart” plan: what changes for households next year',
    summary:
      'The ministry says rationing will ease in the capital’s eastern districts — but only if the Disi pipeline repairs finish on time.',
    byline: 'Rana Hussein',
    section: 'Local',
    image: 'desert',
    hoursAgo: 5,
    votes: 41,
    comments: 19,
  },
  {
    slug: 'central-bank-rates',
    kind: 'story',
    title: 'Central bank holds rates steady as inflation cools to 1.8%',
    summary:
      'Policymakers kept the main rate unchanged for a third meeting, citing “a balanced outlook” and stable remittances from the Gulf.',
    byline: 'Omar Obeidat',
    section: 'Business',
    image: 'market',
    hoursAgo: 7,
    votes: 18,
    comments: 4,
  },
  {
    slug: 'marathon-runners',
    kind: 'story',
    title: 'Ødegaard, Çelik and Nguyễn: Dead Sea marathon draws runners from 40 countries',
    summary: 'Organisers expect 12,000 runners on Friday, the largest field since the race began in 2010.',
    byline: 'Sports desk',
    section: 'Sport',
    image: 'stadium',
    hoursAgo: 9,
    votes: 33,
    comments: 11,
  },
  {
    slug: 'petra-visitors',
    kind: 'story',
    title: 'Petra welcomes a record one million visitors in twelve months',
    summary: 'Tourism officials credit new direct flights from Europe and a night-visit programme that doubled evening ticket sales.',
    byline: 'Nadia Ma’ayta',
    section: 'Travel',
    hoursAgo: 11,
    votes: 52,
    comments: 9,
  },
  {
    slug: 'schools-heat',
    kind: 'story',
    title: 'Schools to start an hour earlier on days of extreme heat',
    summary: 'The education ministry’s decision affects 1.7 million pupils; parents’ groups asked for shaded bus stops too.',
    byline: 'Laith Al-Khaldi',
    section: 'Local',
    hoursAgo: 13,
    votes: 12,
    comments: 23,
  },
  {
    slug: 'solar-tender',
    kind: 'story',
    title: 'Solar tender attracts record bids as prices fall below 2 cents per kWh',
    summary: 'Eleven consortia bid for the 300 MW plant near Ma’an; the winner is due to be named within six weeks.',
    byline: 'Reuters',
    section: 'Business',
    hoursAgo: 15,
    votes: 9,
    comments: 2,
  },
  {
    slug: 'un-aid-appeal',
    kind: 'story',
    title: 'UN appeal for refugees in the region is only 23% funded, agencies warn',
    summary:
      'Aid groups say food vouchers will be cut within two months unless donors step in — “a cliff edge for families”, one official said.',
    byline: 'AFP',
    section: 'World',
    hoursAgo: 17,
    votes: 29,
    comments: 14,
  },
  {
    slug: 'startup-funding',
    kind: 'story',
    title: 'Amman start-up raises $12m to bring Arabic voice assistants to banks',
    summary: 'The round, led by a Riyadh-based fund, is the largest for a Jordanian software company this year.',
    byline: 'Tech desk',
    section: 'Technology',
    hoursAgo: 19,
    votes: 15,
    comments: 6,
  },
  {
    slug: 'jerash-festival',
    kind: 'story',
    title: 'Jerash Festival unveils line-up: Fairuz tribute, Sufi nights and a jazz stage',
    summary: 'The 38th edition runs for 10 days among the Roman ruins; tickets go on sale Monday.',
    byline: 'Culture desk',
    section: 'Culture',
    hoursAgo: 21,
    votes: 21,
    comments: 3,
  },
  {
    slug: 'traffic-bus-rapid',
    kind: 'story',
    title: 'Bus Rapid Transit line 2 opens — 28 minutes from Sweileh to downtown',
    summary: 'Commuters on the first morning reported full buses and “surprisingly punctual” arrivals.',
    byline: 'Rana Hussein',
    section: 'Local',
    hoursAgo: 22,
    votes: 37,
    comments: 21,
  },
  {
    slug: 'opinion-idlib',
    kind: 'blog',
    title: 'Why Idlib matters more than the headlines say',
    summary: 'A ceasefire that holds only on paper is a ceasefire for the stronger side. Three things to watch this week.',
    byline: 'Zeynep Ağaoğlu',
    section: 'Opinion',
    hoursAgo: 4,
    votes: 14,
    comments: 12,
  },
  {
    slug: 'blog-bread-prices',
    kind: 'blog',
    title: 'What a 5-piastre rise in bread prices really costs a family of six',
    summary: 'I kept a notebook for a month. Here is the arithmetic — and the things that don’t show up in it.',
    byline: 'Huda Saleh',
    section: 'Blogs',
    hoursAgo: 8,
    votes: 26,
    comments: 31,
  },
  {
    slug: 'blog-coding-bootcamp',
    kind: 'blog',
    title: 'Notes from a coding bootcamp in Zarqa: 40 students, 12 laptops, one generator',
    summary: 'The graduates are getting jobs. The question is how many more we could train with a little help.',
    byline: 'Yousef Haddad',
    section: 'Blogs',
    hoursAgo: 12,
    votes: 19,
    comments: 8,
  },
  {
    slug: 'blog-dead-sea',
    kind: 'blog',
    title: 'The Dead Sea is shrinking by a metre a year. I went to see the sinkholes',
    summary: 'A photo essay from the shore at Ghor Haditha, where the land is falling in.',
    byline: 'Léa Martin',
    section: 'Blogs',
    image: 'desert',
    hoursAgo: 16,
    votes: 44,
    comments: 17,
  },
  {
    slug: 'blog-football',
    kind: 'blog',
    title: 'Al-Faisaly’s comeback, explained in five matches',
    summary: 'From 0–3 down at half-time to the top of the table: how a young coach changed everything.',
    byline: 'Sami Nasser',
    section: 'Blogs',
    hoursAgo: 20,
    votes: 11,
    comments: 5,
  },
];

export const DEMO_SUBSCRIBERS: readonly { email: string; name: string; timezone?: string }[] = [
  { email: 'reader@example.com', name: 'Reader' },
  { email: 'hala@example.com', name: 'Hala Khoury', timezone: 'Asia/Amman' },
  { email: 'ole@example.com', name: 'Ole Ødegaard', timezone: 'Europe/Oslo' },
  { email: 'mei@example.com', name: 'Mei Chen', timezone: 'Asia/Singapore' },
  { email: 'sam@example.com', name: 'Sam O’Neill', timezone: 'Europe/Dublin' },
];
