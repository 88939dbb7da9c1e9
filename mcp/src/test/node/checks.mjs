// Shared helpers of the client harnesses: one JSON line per check on stdout, QEMU scans in /proc.
import fs from "node:fs";

let failures = 0;

export function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

export function failed() {
  return failures;
}

export async function check(name, fn) {
  const started = Date.now();
  let ok = true;
  let detail;
  try {
    detail = (await fn()) ?? null;
  } catch (e) {
    ok = false;
    failures++;
    detail = String(e && e.stack ? e.stack : e);
  }
  process.stdout.write(JSON.stringify({ check: name, ok, ms: Date.now() - started, detail }) + "\n");
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** Pids of QEMU processes whose command line mentions `marker` (the test's PYRO_HOME). */
export function qemuPids(marker) {
  const pids = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cmd.includes("qemu-system") && cmd.includes(marker)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Waits until no QEMU of `marker` runs; returns how long that took. */
export async function waitNoQemu(marker, limitMs) {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if (qemuPids(marker).length === 0) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`QEMU still running ${limitMs} ms later: pids ${qemuPids(marker).join(", ")}`);
}

/** structuredContent and the text block must carry the same JSON object; returns it. */
export function bothForms(result) {
  assert(result.structuredContent && typeof result.structuredContent === "object", "no structuredContent");
  const text = result.content?.find((c) => c.type === "text")?.text;
  assert(text, "no text content");
  assert(JSON.stringify(JSON.parse(text)) === JSON.stringify(result.structuredContent),
    "text content differs from structuredContent");
  return result.structuredContent;
}

export const LONG = { timeout: 600_000 };

/** Starts vm_run of `command`; `vmUp` resolves once its VM is up (seen in the progress notifications). */
export function runUntilVmUp(client, command, signal) {
  let up;
  const vmUp = new Promise((resolve) => (up = resolve));
  const call = client.callTool(
    { name: "vm_run", arguments: { environment: "debian:12-base", command, timeout_seconds: 120 } },
    undefined,
    { ...LONG, signal, onprogress: (p) => { if (/is up/.test(p.message ?? "")) up(); } });
  return { call, vmUp };
}

/** Cancels a running `sleep 60` through the client's AbortSignal; checks the VM is gone and the server serves on. */
export async function cancelCheck(client, marker) {
  const abort = new AbortController();
  const { call, vmUp } = runUntilVmUp(client, "sleep 60", abort.signal);
  await vmUp;
  await new Promise((r) => setTimeout(r, 1000)); // sleep is running in the guest now
  assert(qemuPids(marker).length > 0, "no QEMU running before the cancellation");
  const cancelledAt = Date.now();
  abort.abort("test cancels");
  try {
    await call;
    throw new Error("the cancelled call resolved");
  } catch (e) {
    assert(/abort|cancel/i.test(String(e)), `unexpected rejection: ${e}`);
  }
  const goneMs = await waitNoQemu(marker, 15_000);
  // The server must still serve, and answer this call (not a late one for the cancelled request).
  const r = await client.callTool({ name: "vm_run", arguments: { environment: "debian:12-base", command: "echo alive" } },
    undefined, LONG);
  assert(bothForms(r).stdout === "alive\n", `after the cancellation: ${JSON.stringify(r)}`);
  return { qemu_gone_ms: goneMs, next_call_done_ms: Date.now() - cancelledAt };
}
