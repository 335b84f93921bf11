import type { Command } from 'commander';

export function workerCommand(program: Command): void {
  program
    .command('worker')
    .description('run delivery workers for every edition being sent, until SIGTERM / SIGINT (needs PostgreSQL to share the work)')
    .option('--concurrency <n>', 'workers in this process (default WORKERS)', (v) => Number(v))
    .action(async (opts: { concurrency?: number }) => {
      const [{ DeliveryWorker, workerCount }, { withContext }, { openDelivery, preflightRelay, withShutdownSignal }] = await Promise.all([
        import('../delivery/index.js'),
        import('./context.js'),
        import('./delivery-runtime.js'),
      ]);
      await withContext('worker', async ({ config, log, database }) => {
        const delivery = await openDelivery(database.db, config, log);
        const n = Math.max(1, workerCount(database.engine, opts.concurrency ?? config.workers));
        try {
          await preflightRelay(delivery);
          await withShutdownSignal(log, async (signal) => {
            const workers = Array.from({ length: n }, (_, i) => new DeliveryWorker(delivery, { name: `worker-${i + 1}`, idleMs: 500 }));
            log.info({ event: 'worker.started', workers: n, pid: process.pid }, `${n} delivery worker(s) running`);
            signal.addEventListener('abort', () => void Promise.all(workers.map((w) => w.stop())), { once: true });
            await Promise.all(workers.map((w) => w.start()));
            log.info({ event: 'worker.stopped', pid: process.pid }, 'workers stopped');
          });
        } finally {
          await delivery.close();
        }
      });
    });
}
