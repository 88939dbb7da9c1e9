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
import { assert, bothForms, cancelCheck, check, failed, LONG, need, runUntilVmUp, waitNoQemu } from "./checks.mjs";

const launcher = need("PYRO_LAUNCHER");
const home = need("PYRO_HOME");
const expectedTools = JSON.parse(need("PYRO_EXPECTED_TOOLS"));
const serverLog = fs.createWriteStream(process.env.PYRO_SERVER_STDERR ?? "/dev/null", { flags: "a" });

async function connect(profileArgs) {
  const transport = new StdioClientTransport({
    command: launcher,
    args: ["mcp", "serve", ...profileArgs],
    env: { ...process.env, PYRO_HOME: home },
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
await transport.close();

// 5. The client goes away (stdin closes) while a one-shot VM runs: the server exits 0 on its own.
await check("stdin closes during a run: server exits 0, no QEMU left", async () => {
  const { client: c, transport: t } = await connect([]);
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
  const goneMs = await waitNoQemu(home, 10_000);
  return { exit_ms: exitMs, qemu_gone_ms_after_exit: goneMs };
});

serverLog.end();
process.exitCode = failed() === 0 ? 0 : 1;
