/** `modelreg events`: the event feed, one JSON object a line, oldest first. */
import type { Command } from 'commander';
import { bufferedStdout, collect, context } from '../io.js';

export function eventsCommand(program: Command): void {
  program.command('events')
    .description('the event feed, oldest first, one JSON object a line (CloudEvents 1.0 by default)')
    .option('--since <ref|date>', 'start after this ref or date')
    .option('--until <ref>', 'end at this ref (default: the tip of the registry branch)')
    .option('--model <name>', 'only events of this model')
    .option('--type <type...>', 'only these types (dev.modelreg.version.registered, version.*, …)', collect)
    .option('--format <format>', 'cloudevents, mlflow or databricks', 'cloudevents')
    .option('--follow', 'keep running and print new events as commits arrive')
    .option('--interval <ms>', 'with --follow: how often the branch is read', (v) => Number(v), 1000)
    .action(async (o, cmd: Command) => {
      const ctx = await context(cmd);
      const { events, followEvents, eventLine } = await import('../../ops/events.js');
      const input = { since: o.since, until: o.until, model: o.model, types: (o.type as string[] | undefined)?.flat(), format: o.format };
      const w = bufferedStdout();
      if (!o.follow) {
        for await (const item of events(ctx, input)) w.write(eventLine(item));
        return w.flush();
      }
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      for await (const item of followEvents(ctx, input, { intervalMs: o.interval, signal: stop.signal })) {
        w.write(eventLine(item));
        w.flush();
      }
      w.flush();
    });
}
