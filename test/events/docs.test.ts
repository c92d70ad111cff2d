/** docs/events.md's receiver example runs: it accepts what `modelreg notify` signs and refuses a forged delivery. */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { initRegistry, openRegistry } from '../../src/index.js';
import { ADA, ROOT, cleanup, git, runCli, tempDir } from '../helpers/repo.js';

afterAll(cleanup);

const doc = readFileSync(join(ROOT, 'docs', 'events.md'), 'utf8');
const example = /### A receiver that verifies the signature[\s\S]*?```js\n([\s\S]*?)```/.exec(doc)![1];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function post(port: number, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', reject);
    req.end(body);
  });
}

describe('docs/events.md', () => {
  it('the receiver example verifies modelreg notify deliveries and refuses a forged one', async () => {
    const tmp = await tempDir('mrdocs-');
    const file = join(tmp, 'receiver.mjs');
    writeFileSync(file, example);
    const port = await freePort();
    const secret = 'whsec_' + Buffer.from('docs example secret').toString('base64');
    const rx = spawn(process.execPath, [file], { env: { PATH: process.env.PATH, PORT: String(port), WEBHOOK_SECRET: secret } });
    let out = '';
    rx.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
    try {
      // Ready when it answers (a forged delivery: 401).
      let forged = 0;
      for (let i = 0; i < 200 && !forged; i++) {
        forged = await post(port, { 'webhook-id': 'x:0', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' }, '{}').catch(() => 0);
        if (!forged) await new Promise((r) => setTimeout(r, 50)); // not listening yet
      }
      expect(forged).toBe(401);
      const dir = join(tmp, 'reg');
      await initRegistry({ dir }, { identity: ADA });
      const cfg = join(dir, 'modelreg.yaml');
      await writeFile(cfg, `${await readFile(cfg, 'utf8')}webhooks:\n  - name: docs\n    url: http://127.0.0.1:${port}/\n    secretEnv: DOCS_SECRET\n    allowPrivateNetwork: true\n`);
      git(dir, ['commit', '-qam', 'webhook']);
      await (await openRegistry({ dir, identity: ADA })).register({ model: 'churn', artifact: 's3://m/1' });
      const r = await runCli(['notify'], { cwd: dir, env: { DOCS_SECRET: secret } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('docs: 2 sent');
    } finally {
      rx.kill();
    }
    expect(out).toBe('dev.modelreg.model.created models/churn\ndev.modelreg.version.registered models/churn/1.0.0\n');
  });
});
