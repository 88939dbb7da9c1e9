// Drives `pyro mcp serve` over stdio with the official MCP TypeScript client
// (@modelcontextprotocol/sdk), as a chat host would. Run by McpStdioClientIT; prints one JSON
// line per check on stdout ({"check", "ok", "ms", "detail"}), logs on stderr, exits 1 if a check failed.
//
// Environment: PYRO_LAUNCHER (the real `pyro` launcher), PYRO_HOME (a temporary state dir, also the
// marker that finds this test's QEMU processes in /proc), PYRO_EXPECTED_TOOLS (JSON: profile -> tool
// names the server must list), PYRO_SERVER_STDERR (file for the servers' stderr).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { assert, bothForms, cancelCheck, check, failed, LONG, need, qemuPids, runUntilVmUp, waitNoQemu } from "./checks.mjs";

const launcher = need("PYRO_LAUNCHER");
const home = need("PYRO_HOME");
const expectedTools = JSON.parse(need("PYRO_EXPECTED_TOOLS"));
const serverLog = fs.createWriteStream(process.env.PYRO_SERVER_STDERR ?? "/dev/null", { flags: "a" });

// The directory the servers start in: the project whose files the tools may read and write (the
// only allowed root), as a chat host starts `pyro mcp serve` in the user's project. `outside` is
// beside it and must stay out of reach.
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "pyro-mcp-ws-")));
const project = path.join(tmp, "project");
const outside = path.join(tmp, "outside");
fs.mkdirSync(project);
fs.mkdirSync(outside);
fs.writeFileSync(path.join(outside, "secret.txt"), "not for the guest\n");

async function connect(profileArgs, extraEnv = {}) {
  const transport = new StdioClientTransport({
    command: launcher,
    args: ["mcp", "serve", ...profileArgs],
    env: { ...process.env, PYRO_HOME: home, ...extraEnv },
    cwd: project,
    stderr: "pipe",
  });
  transport.stderr.pipe(serverLog, { end: false });
  const client = new Client({ name: "pyro-stdio-it", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport };
}

async function toolError(client, args, expectArgument, expectInMessage) {
  const r = await client.callTool({ name: "vm_run", arguments: args }, undefined, LONG);
  assert(r.isError === true, `expected a tool error for ${JSON.stringify(args)}, got ${JSON.stringify(r)}`);
  const e = bothForms(r).error;
  assert(e.kind === "invalid_argument", `kind ${e.kind}`);
  assert(!/\n|\tat |Exception/.test(e.message), `message looks like a stack trace: ${e.message}`);
  if (expectArgument) assert(e.argument === expectArgument, `argument ${e.argument}, wanted ${expectArgument}`);
  assert(e.message.includes(expectInMessage), `message "${e.message}" lacks "${expectInMessage}"`);
  return e.message;
}

// 1. tools/list for each profile (and the default), against the tools this build implements.
for (const [profile, expected] of Object.entries(expectedTools)) {
  await check(`tools-list ${profile}`, async () => {
    const { client, transport } = await connect(profile === "default" ? [] : ["--profile", profile]);
    try {
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      assert(JSON.stringify(names) === JSON.stringify(expected), `listed ${names}, expected ${expected}`);
      for (const t of tools) {
        assert(t.description && t.description.length > 40, `${t.name}: no useful description`);
        assert(t.inputSchema?.type === "object", `${t.name}: input schema is not an object schema`);
      }
      if (names.includes("vm_list_environments")) {
        // A run builds whatever is missing first, so afterwards the environment is installed and ready.
        const run = await client.callTool({ name: "vm_run", arguments: { environment: "debian:12-base", command: "true" } },
          undefined, LONG);
        assert(bothForms(run).exit_code === 0, `vm_run true: ${JSON.stringify(run)}`);
        const r = await client.callTool({ name: "vm_list_environments", arguments: {} }, undefined, LONG);
        const envs = bothForms(r).environments;
        const base = envs.find((e) => e.name === "debian:12-base");
        assert(base && base.installed === true && base.state === "ready" && base.capabilities?.guest_exec === true,
          `environments: ${JSON.stringify(envs)}`);
        assert(envs.filter((e) => e.default === true).length === 1, `one default: ${JSON.stringify(envs)}`);
        for (const e of envs) {
          assert(!e.installed || e.state === "ready", `inconsistent: ${JSON.stringify(e)}`);
        }
      }
      return names;
    } finally {
      await transport.close();
    }
  });
}

// 2.-4. One session with the default profile: runs, errors, cancellation.
const { client, transport } = await connect([]);
await client.listTools(); // as chat hosts do: the client then validates results against the output schemas

await check("vm_run uname -r in a real VM", async () => {
  const progress = [];
  const r = await client.callTool(
    { name: "vm_run", arguments: { environment: "debian:12-base", command: "uname -r" } },
    undefined, { ...LONG, onprogress: (p) => progress.push(p.message) });
  assert(r.isError !== true, `tool error: ${JSON.stringify(r)}`);
  const s = bothForms(r);
  assert(s.exit_code === 0, `exit_code ${s.exit_code}, stderr ${s.stderr}`);
  assert(s.stdout.trim().endsWith("-pyro"), `uname -r printed ${JSON.stringify(s.stdout)}`);
  assert(s.vm_id && s.engine === "qemu", `engine ${s.engine}, vm_id ${s.vm_id}`);
  assert(progress.length > 0, "no progress notifications while the VM booted");
  return { stdout: s.stdout.trim(), duration_ms: s.duration_ms, boot_ms: s.boot_ms, progress };
});

await check("vm_run argv array, exit code and stderr", async () => {
  const r = await client.callTool({ name: "vm_run", arguments: {
    environment: "debian:12-base", command: ["sh", "-c", "echo $((6*7)); echo oops >&2; exit 3"] } }, undefined, LONG);
  const s = bothForms(r);
  assert(r.isError !== true && s.exit_code === 3 && s.stdout === "42\n" && s.stderr === "oops\n", JSON.stringify(s));
  return s.exit_code;
});

await check("tool error: unknown environment", () =>
  toolError(client, { environment: "debian:13", command: "true" }, null, "unknown environment 'debian:13'"));
await check("tool error: command is a number", () =>
  toolError(client, { environment: "debian:12-base", command: 5 }, "command", "must be a string or an array"));
await check("tool error: negative timeout", () =>
  toolError(client, { environment: "debian:12-base", command: "true", timeout_seconds: -1 }, null, "timeout_seconds"));
await check("tool error: missing environment", () =>
  toolError(client, { command: "true" }, "environment", "missing required argument 'environment'"));
await check("tool error: misspelt argument", () =>
  toolError(client, { environment: "debian:12-base", command: "true", timeout: 5 }, "timeout", "unknown argument 'timeout'"));

await check("cancel a running vm_run (sleep 60)", () => cancelCheck(client, home));

// 3b. The host-execution door: allow_host_compat is the operator's decision (--allow-host-compat),
// never a tool argument's. The marker is what the command would create if it ran on the host.
const marker = path.join(tmp, "host-compat-marker");
const touchMarker = { environment: "debian:12-base", command: `touch ${marker}`, allow_host_compat: true };
const FALLBACK_KINDS = ["host_setup", "runtime_not_ready", "build_failed", "vm_failed"];
function refusedHostCompat(r) {
  assert(r.isError === true, `expected a tool error: ${JSON.stringify(r)}`);
  const e = bothForms(r).error;
  assert(e.kind === "not_permitted" && e.argument === "allow_host_compat", JSON.stringify(e));
  assert(/operator/.test(e.message) && /pyro mcp serve --allow-host-compat/.test(e.message), e.message);
  assert(!fs.existsSync(marker), `${marker} exists: a command ran on the host`);
  return e.message;
}
await check("vm_run with allow_host_compat on a server without --allow-host-compat: refused, nothing runs on the host",
  async () => refusedHostCompat(await client.callTool({ name: "vm_run", arguments: touchMarker }, undefined, LONG)));

// Where no VM can start (QEMU missing), which is when host-compat would stand in for the guest.
const noVm = { PYRO_QEMU: path.join(tmp, "no-such-qemu-system-x86_64"), PYRO_NO_AUTO_INSTALL: "1" };
await check("no VM can start: allow_host_compat still refused; only --allow-host-compat runs on the host, and says so",
  async () => {
    const { client: broken, transport: bt } = await connect([], noVm);
    let refusal;
    try {
      const plain = await broken.callTool({ name: "vm_run", arguments: { environment: "debian:12-base", command: "true" } },
        undefined, LONG);
      assert(plain.isError === true && FALLBACK_KINDS.includes(bothForms(plain).error.kind),
        `the VM should fail to start here: ${JSON.stringify(plain)}`);
      refusal = refusedHostCompat(await broken.callTool({ name: "vm_run", arguments: touchMarker }, undefined, LONG));
      refusedHostCompat(await broken.callTool({ name: "workspace_create", arguments: { environment: "debian:12-base",
        allow_host_compat: true } }, undefined, LONG));
    } finally {
      await bt.close();
    }
    // The control: the same setup with the operator's flag does fall back to the host, so the
    // refusals above were the door and not a broken test setup.
    const { client: allowed, transport: at } = await connect(["--allow-host-compat"], noVm);
    try {
      const r = await allowed.callTool({ name: "vm_run", arguments: touchMarker }, undefined, LONG);
      const s = bothForms(r);
      assert(r.isError !== true && s.exit_code === 0, JSON.stringify(r));
      assert(s.execution_mode === "host_compat" && s.engine === "host_compat" && /WITHOUT isolation/.test(s.note),
        JSON.stringify(s));
      const texts = r.content.filter((c) => c.type === "text").map((c) => c.text);
      assert(texts.some((t) => /^WARNING: .*WITHOUT isolation/.test(t)), `no warning in the text: ${JSON.stringify(texts)}`);
      assert(fs.existsSync(marker), "the allowed host-compat run did not create the marker");
      return { refusal, allowed_note: s.note };
    } finally {
      await at.close();
      fs.rmSync(marker, { force: true });
    }
  });

// 4b. The workspace loop with the default profile: seed from a host directory, exec, sync, export,
// logs, a cancelled exec, delete. Workspaces outlive the server, so the last check deletes it.
const seedDir = path.join(project, "seed");
fs.mkdirSync(path.join(seedDir, "src", "empty"), { recursive: true });
fs.writeFileSync(path.join(seedDir, "hello.txt"), "hello from the host\n");
fs.writeFileSync(path.join(seedDir, "src", "grüße.sh"), "#!/bin/sh\necho run-$1\n", { mode: 0o755 });
fs.symlinkSync("hello.txt", path.join(seedDir, "link"));
const syncDir = path.join(project, "sync");
fs.mkdirSync(syncDir);
fs.writeFileSync(path.join(syncDir, "later.txt"), "pushed later\n");
let workspaceId;
const call = (name, args) => client.callTool({ name, arguments: args }, undefined, LONG);
const ok = (r, what) => {
  assert(r.isError !== true, `${what}: tool error ${JSON.stringify(r)}`);
  return bothForms(r);
};

await check("workspace_create seeded from a host directory", async () => {
  const progress = [];
  const r = await client.callTool({ name: "workspace_create", arguments: { environment: "debian:12-base",
    seed_path: seedDir } }, undefined, { ...LONG, onprogress: (p) => progress.push(p.message) });
  const w = ok(r, "workspace_create");
  workspaceId = w.workspace_id;
  assert(workspaceId && w.state === "started" && w.engine === "qemu", JSON.stringify(w));
  assert(w.workspace_seed.mode === "directory" && w.workspace_seed.source_path === seedDir, JSON.stringify(w.workspace_seed));
  assert(w.workspace_seed.entry_count === 5, `5 entries (hello.txt, link, src, src/empty, src/grüße.sh), got entry_count ${w.workspace_seed.entry_count}`);
  assert(progress.some((m) => /^\[boot\]/.test(m)), `no boot progress: ${JSON.stringify(progress)}`);
  assert(progress.some((m) => /^\[seed\].*100%/.test(m)), `no seed upload progress: ${JSON.stringify(progress)}`);
  return { workspace_id: workspaceId, seed: w.workspace_seed, progress };
});

await check("workspace_exec sees the seed and keeps what it writes", async () => {
  const a = ok(await call("workspace_exec", { workspace_id: workspaceId,
    command: "cat hello.txt link && ./src/grüße.sh 1 && test -d src/empty && echo built > out.txt" }), "exec 1");
  assert(a.exit_code === 0 && a.stdout === "hello from the host\nhello from the host\nrun-1\n", JSON.stringify(a));
  const b = ok(await call("workspace_exec", { workspace_id: workspaceId, command: ["sh", "-c", "cat out.txt; exit 7"] }),
    "exec 2");
  assert(b.exit_code === 7 && b.stdout === "built\n" && b.sequence === a.sequence + 1, JSON.stringify(b));
  return { sequences: [a.sequence, b.sequence], exec_ms: b.duration_ms };
});

await check("workspace_sync_push then workspace_export round trip", async () => {
  const t = ok(await call("workspace_sync_push", { workspace_id: workspaceId, source_path: syncDir, dest: "incoming" }),
    "sync");
  assert(t.destination === "/workspace/incoming" && t.entry_count >= 1, JSON.stringify(t));
  const c = ok(await call("workspace_exec", { workspace_id: workspaceId, command: "cat incoming/later.txt >> out.txt" }),
    "exec 3");
  assert(c.exit_code === 0, JSON.stringify(c));
  const out = path.join(project, "exported.txt");
  const e = ok(await call("workspace_export", { workspace_id: workspaceId, path: "out.txt", output_path: out }), "export");
  assert(e.artifact_type === "file", JSON.stringify(e));
  const content = fs.readFileSync(out, "utf8");
  assert(content === "built\npushed later\n", `exported ${JSON.stringify(content)}`);
  const again = await call("workspace_export", { workspace_id: workspaceId, path: "out.txt", output_path: out });
  assert(again.isError === true && /exists/.test(bothForms(again).error.message), `export over a file: ${JSON.stringify(again)}`);
  assert(fs.readFileSync(out, "utf8") === content, "the refused export changed the host file");
  return { exported_bytes: content.length };
});

// 4a. The host-path door: tools read and write only under the project (the server's only root).
function notPermitted(r, what) {
  assert(r.isError === true, `${what}: expected a tool error, got ${JSON.stringify(r)}`);
  const e = bothForms(r).error;
  assert(e.kind === "not_permitted" && e.message.includes(`allowed roots (${project})`) && /--allow-path/.test(e.message),
    `${what}: ${JSON.stringify(e)}`);
  return e.message;
}
const listing = (dir) => fs.readdirSync(dir).sort().join(",");

await check("workspace_export outside the project, through a symlink out of it, onto a symlink: refused, nothing created",
  async () => {
    const before = listing(outside);
    const exportTo = (output) => call("workspace_export", { workspace_id: workspaceId, path: "out.txt", output_path: output });
    const direct = notPermitted(await exportTo(path.join(outside, "x.txt")), "absolute path outside");
    notPermitted(await exportTo("../outside/y.txt"), "relative path outside");
    notPermitted(await exportTo("/etc/cron.d/pyro-test"), "/etc/cron.d");
    fs.symlinkSync(outside, path.join(project, "escape"));
    const viaLink = notPermitted(await exportTo("escape/z.txt"), "through a symlink");
    assert(viaLink.includes(`leads through the symlink ${path.join(project, "escape")}`), viaLink);
    fs.symlinkSync(path.join(outside, "planted.txt"), path.join(project, "dangling"));
    const onto = await exportTo("dangling");
    assert(onto.isError === true && /already exists/.test(bothForms(onto).error.message), JSON.stringify(onto));
    assert(listing(outside) === before, `something appeared outside the project: ${listing(outside)}`);
    assert(!fs.existsSync("/etc/cron.d/pyro-test"), "/etc/cron.d/pyro-test was written");
    return { direct, viaLink };
  });

await check("workspace_sync_push and a seed from outside the project: refused, nothing imported, no VM started",
  async () => {
    const push = notPermitted(await call("workspace_sync_push", { workspace_id: workspaceId, source_path: outside }),
      "sync from outside");
    notPermitted(await call("workspace_sync_push", { workspace_id: workspaceId, source_path: "escape" }), "sync via symlink");
    notPermitted(await call("workspace_sync_push", { workspace_id: workspaceId, source_path: "~/.ssh" }), "sync ~/.ssh");
    const qemuBefore = qemuPids(home).length;
    const seed = notPermitted(await call("workspace_create", { environment: "debian:12-base", seed_path: outside }),
      "seed from outside");
    notPermitted(await call("workspace_create", { environment: "debian:12-base", seed_path: "/etc" }), "seed /etc");
    assert(qemuPids(home).length === qemuBefore, "a refused seed started a VM");
    return { push, seed };
  });

await check("workspace_status and workspace_logs tell the story", async () => {
  const s = ok(await call("workspace_status", { workspace_id: workspaceId }), "status");
  assert(s.state === "started" && s.command_count === 3 && s.last_command.exit_code === 0, JSON.stringify(s));
  const l = ok(await call("workspace_logs", { workspace_id: workspaceId }), "logs");
  assert(l.count === 3 && l.commands.map((c) => c.exit_code).join() === "0,7,0", JSON.stringify(l));
  return { command_count: s.command_count };
});

await check("workspace_exec of 200 MB of output: a truncated, well-formed result within the message limit", async () => {
  const LIMIT = 16 * 1024 * 1024; // the MCP Java SDK's message limit
  const command = "head -c 200000000 /dev/zero | tr '\\0' x; echo done >&2";
  const r = await call("workspace_exec", { workspace_id: workspaceId, command, timeout_seconds: 600 });
  const w = ok(r, "exec of 200 MB"); // both forms, equal: the default fits twice
  assert(w.exit_code === 0 && w.stdout_truncated === true && w.stdout.length === 262144 && /^x+$/.test(w.stdout),
    `default max_output_bytes: ${JSON.stringify({ ...w, stdout: w.stdout.length })}`);
  assert(w.stdout_cut_bytes === 200000000 - 262144 && w.stderr === "done\n" && w.stderr_cut_bytes === 0,
    `cut bytes: ${w.stdout_cut_bytes}, ${w.stderr_cut_bytes}, stderr ${JSON.stringify(w.stderr)}`);
  const size = Buffer.byteLength(JSON.stringify(r));
  assert(size < LIMIT, `${size} bytes`);
  const big = await call("workspace_exec", { workspace_id: workspaceId, command, timeout_seconds: 600,
    max_output_bytes: 1048576 });
  assert(big.isError !== true, JSON.stringify(big).slice(0, 500));
  const s = big.structuredContent;
  assert(s.stdout.length === 1048576 && s.stdout_cut_bytes === 200000000 - 1048576, `max: ${s.stdout.length}, ${s.stdout_cut_bytes}`);
  const text = big.content.find((c) => c.type === "text").text;
  const preview = JSON.parse(text); // the text copy is JSON too, with the output cut to a preview
  assert(preview.stdout.length < 20000 && preview.stdout.includes("more characters of stdout in this result's structuredContent")
    && preview.stdout_cut_bytes === s.stdout_cut_bytes, `text copy: ${text.slice(0, 300)}...`);
  const bigSize = Buffer.byteLength(JSON.stringify(big));
  assert(bigSize < LIMIT && bigSize < 2 * 1048576, `${bigSize} bytes: the output went out twice`);
  return { default_result_bytes: size, max_result_bytes: bigSize, cut: w.stdout_cut_bytes };
});

await check("tool errors: unknown workspace, destination outside /workspace", async () => {
  const u = await call("workspace_exec", { workspace_id: "feedface0000", command: "true" });
  assert(u.isError === true && bothForms(u).error.kind === "not_found", JSON.stringify(u));
  const o = await call("workspace_sync_push", { workspace_id: workspaceId, source_path: syncDir, dest: "/etc" });
  assert(o.isError === true && /\/workspace/.test(bothForms(o).error.message), JSON.stringify(o));
  return [bothForms(u).error.message, bothForms(o).error.message];
});

await check("cancel a running workspace_exec (sleep 60): the guest process dies, the workspace serves on", async () => {
  const abort = new AbortController();
  const pending = client.callTool({ name: "workspace_exec", arguments: { workspace_id: workspaceId,
    command: "sleep 60", timeout_seconds: 120 } }, undefined, { ...LONG, signal: abort.signal });
  await new Promise((r) => setTimeout(r, 2000));
  const cancelledAt = Date.now();
  abort.abort("test cancels");
  try {
    await pending;
    throw new Error("the cancelled call resolved");
  } catch (e) {
    assert(/abort|cancel/i.test(String(e)), `unexpected rejection: ${e}`);
  }
  // The kill is asynchronous in the guest; give it a moment, then no `sleep 60` may be left.
  let left;
  for (let i = 0; i < 20; i++) {
    const p = ok(await call("workspace_exec", { workspace_id: workspaceId,
      command: "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done | grep -c '^slee[p] 60' || true" }),
      "process scan");
    left = p.stdout.trim();
    if (left === "0") break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert(left === "0", `sleep 60 still runs in the guest after the cancellation (${left})`);
  return { scan_done_ms: Date.now() - cancelledAt };
});

await check("workspace_delete removes it and its VM", async () => {
  const d = ok(await call("workspace_delete", { workspace_id: workspaceId }), "delete");
  assert(d.deleted === true && d.workspace_id === workspaceId, JSON.stringify(d));
  const s = await call("workspace_status", { workspace_id: workspaceId });
  assert(s.isError === true && bothForms(s).error.kind === "not_found", JSON.stringify(s));
  const goneMs = await waitNoQemu(home, 15_000);
  workspaceId = null;
  return { qemu_gone_ms: goneMs };
});
if (workspaceId) await call("workspace_delete", { workspace_id: workspaceId }).catch(() => {});

// 4c. Networking: opt-in egress reaching a listed port of the host's loopback through host.pyro.internal,
// and no other port.
const http = await import("node:http");
const body = `served-by-node-${process.pid}-${Date.now()}`;
const server = http.createServer((req, res) => res.end(body));
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const port = server.address().port;
const other = http.createServer((req, res) => res.end(`not-${body}`));
await new Promise((resolve) => other.listen(0, "127.0.0.1", resolve));
const otherPort = other.address().port;
const fetchFrom = (p) => `exec 3<>/dev/tcp/host.pyro.internal/${p} && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3`;
const fetchHost = fetchFrom(port);
await check("vm_run with allow_host_ports fetches from that port of the host's loopback and no other", async () => {
  const r = await call("vm_run", { environment: "debian:12-base", allow_host_ports: [port],
    command: ["bash", "-c", `${fetchHost}; echo; timeout 10 bash -c "${fetchFrom(otherPort)}" || echo other-refused`] });
  const s = bothForms(r);
  assert(r.isError !== true && s.exit_code === 0, JSON.stringify(s));
  assert(s.stdout.includes(body) && !s.stdout.includes(`not-${body}`) && s.stdout.includes("other-refused"),
    `guest fetched ${JSON.stringify(s.stdout)}`);
  assert(s.network.network_policy === "egress" && s.network.allow_host === true
    && JSON.stringify(s.network.allow_host_ports) === JSON.stringify([port])
    && s.network.host_alias.name === "host.pyro.internal", JSON.stringify(s.network));
  return s.network;
});
await check("tool error: allow_net for a range the operator did not open", async () => {
  const r = await call("vm_run", { environment: "debian:12-base", command: "true", allow_net: ["169.254.169.254/32"] });
  assert(r.isError === true && JSON.stringify(r.content).includes("pyro mcp serve --allow-net"), JSON.stringify(r));
  return "isError";
});
await check("vm_run without network has no network device and cannot fetch", async () => {
  const r = await call("vm_run", { environment: "debian:12-base", command: ["bash", "-c", fetchHost] });
  const s = bothForms(r);
  assert(r.isError !== true && s.exit_code !== 0 && !s.stdout.includes(body), JSON.stringify(s));
  assert(s.network.network_policy === "off" && s.network.network_enabled === false, JSON.stringify(s.network));
  return s.network.network_policy;
});
await check("tool error: publish with network_policy egress", async () => {
  const r = await call("vm_run", { environment: "debian:12-base", command: "true", network_policy: "egress",
    publish: ["18080:80"] });
  assert(r.isError === true && JSON.stringify(r.content).includes("egress+published-ports"), JSON.stringify(r));
  return "isError";
});
server.close();
other.close();
await transport.close();

// 4d. workspace-full: vm_network_info on a networked workspace with a published port.
await check("vm_network_info shows a workspace's address and published port", async () => {
  const { client: full, transport: fullTransport } = await connect(["--profile", "workspace-full"]);
  const hostPort = 20000 + (process.pid % 20000);
  let id = null;
  try {
    const created = await full.callTool({ name: "workspace_create", arguments: { environment: "debian:12-base",
      publish: [`${hostPort}:8000`] } }, undefined, LONG);
    assert(created.isError !== true, JSON.stringify(created));
    id = bothForms(created).workspace_id;
    const info = bothForms(await full.callTool({ name: "vm_network_info", arguments: { vm_id: id } }, undefined, LONG));
    assert(info.vm_id === id && info.network_policy === "egress+published-ports" && info.backend === "user", JSON.stringify(info));
    assert(/^10\.213\.\d+\.\d+\/30$/.test(info.guest_address), JSON.stringify(info));
    const p = info.published_ports[0];
    assert(p.host_address === "127.0.0.1" && p.host_port === hostPort && p.guest_port === 8000, JSON.stringify(info));
    return info;
  } finally {
    if (id) await full.callTool({ name: "workspace_delete", arguments: { workspace_id: id } }, undefined, LONG).catch(() => {});
    await fullTransport.close();
  }
});

// 5. The client goes away (stdin closes) while a one-shot VM runs: the server exits 0 on its own.
await check("stdin closes during a run: server exits 0, the one-shot VM goes, the workspace stays", async () => {
  const { client: c, transport: t } = await connect([]);
  const created = await c.callTool({ name: "workspace_create", arguments: { environment: "debian:12-base" } },
    undefined, LONG);
  const kept = bothForms(created).workspace_id;
  assert(created.isError !== true && kept, `workspace_create: ${JSON.stringify(created)}`);
  const workspaceQemu = qemuPids(home);
  assert(workspaceQemu.length === 1, `one QEMU for the workspace, found ${workspaceQemu}`);
  const { call, vmUp } = runUntilVmUp(c, "sleep 60");
  call.catch(() => {});
  await vmUp;
  const child = t._process; // the TypeScript client SIGTERMs after 2 s; we want to see the server leave before
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const closedAt = Date.now();
  child.stdin.end();
  const { code, signal } = await exited;
  const exitMs = Date.now() - closedAt;
  await t.close();
  assert(signal === null && code === 0, `server ended with code ${code}, signal ${signal}`);
  // The one-shot VM must go; the workspace's VMM must not (it outlives the server by design).
  const started = Date.now();
  while (qemuPids(home).length > 1 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 100));
  const left = qemuPids(home);
  assert(JSON.stringify(left) === JSON.stringify(workspaceQemu), `QEMU left: ${left}, the workspace's: ${workspaceQemu}`);
  // A new server finds the workspace running and can use, then delete, it.
  const { client: again, transport: t2 } = await connect([]);
  try {
    const r = await again.callTool({ name: "workspace_exec", arguments: { workspace_id: kept, command: "echo still-here" } },
      undefined, LONG);
    assert(bothForms(r).stdout === "still-here\n", `exec after the restart: ${JSON.stringify(r)}`);
    await again.callTool({ name: "workspace_delete", arguments: { workspace_id: kept } }, undefined, LONG);
  } finally {
    await t2.close();
  }
  const goneMs = await waitNoQemu(home, 10_000);
  return { exit_ms: exitMs, one_shot_gone_ms: Date.now() - started, qemu_gone_ms_after_delete: goneMs };
});

serverLog.end();
fs.rmSync(tmp, { recursive: true, force: true });
process.exitCode = failed() === 0 ? 0 : 1;
