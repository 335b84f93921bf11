export { createLeaderLock, SCHEDULER_LOCK_KEY, type LeaderLock } from './leader-lock.js';
export { Scheduler, type SchedulerDeps, type SchedulerStatus, type TickResult } from './scheduler.js';
