import cronstrue from 'cronstrue';

/**
 * The schedule in words for the admin pages: "at 06:00, every day, in UTC" for DIGEST_CRON
 * "0 6 * * *" and DIGEST_TZ UTC. cronstrue reads every form node-cron accepts (5 or 6 fields,
 * lists, ranges, steps, names); the 24-hour clock, as everywhere else in the admin. An expression it
 * cannot read (config validation makes that unlikely) is shown as it is, named as the setting.
 */
export function describeSchedule(cron: string, timeZone: string): string {
  let words: string;
  try {
    words = cronstrue.toString(cron.trim(), { use24HourTimeFormat: true, verbose: true, throwExceptionOnParseError: true });
  } catch {
    return `DIGEST_CRON "${cron}" in ${timeZone}`;
  }
  return `${words.charAt(0).toLowerCase()}${words.slice(1)}, in ${timeZone}`;
}
