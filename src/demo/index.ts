export { DEMO_IMAGES, DEMO_STORIES, DEMO_SUBSCRIBERS, type DemoStory } from './demo-stories.js';
export { seedDemo, type DemoSeed } from './seed-demo.js';
