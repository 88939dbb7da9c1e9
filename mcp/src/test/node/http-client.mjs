// Drives `pyro mcp serve --transport http` with the official MCP TypeScript client over streamable
// HTTP, and checks its doors: the bearer token, DNS-rebinding and cross-origin protection, and that
// allow_host_compat is refused without the operator's --allow-host-compat. Run by McpHttpIT; output
// as stdio-client.mjs.
//
// Environment: PYRO_MCP_URL (the server's endpoint), PYRO_MCP_TOKEN (its bearer token), PYRO_HOME
// (the server's state dir, the marker of its QEMU processes), PYRO_EXPECTED_TOOLS (JSON array of the
// tool names the server must list), PYRO_MCP_NOVM_URL and PYRO_MCP_NOVM_TOKEN (a second server, of
// the same flags, that cannot start a VM), PYRO_MARKER_DIR (where a host command would leave a file).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { assert, bothForms, cancelCheck, check, failed, LONG, need } from "./checks.mjs";

const url = new URL(need("PYRO_MCP_URL"));
const token = need("PYRO_MCP_TOKEN");
const home = need("PYRO_HOME");
const expected = JSON.parse(need("PYRO_EXPECTED_TOOLS"));
const noVmUrl = new URL(need("PYRO_MCP_NOVM_URL"));
const noVmToken = need("PYRO_MCP_NOVM_TOKEN");
const marker = path.join(need("PYRO_MARKER_DIR"), "host-compat-marker");

/**
 * POSTs an initialize with the given Host, Origin and Authorization headers (fetch cannot set
 * Host); resolves the status and body.
 */
function initializeWith(host, origin, authorization) {
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: {
    protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "door-check", version: "1" } } });
  const headers = { "Content-Type": "application/json", Accept: "application/json, text/event-stream", Host: host };
  if (origin) headers.Origin = origin;
  if (authorization) headers.Authorization = authorization;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers }, (res) => {
      let data = "";
      res.on("data", (c) => (data += c));
      res.on("end", () => resolve({ status: res.statusCode, body: data, headers: res.headers }));
    });
    req.on("error", reject);
    req.end(body);
  });
}
const bearer = `Bearer ${token}`;

await check("no token: 401", async () => {
  const r = await initializeWith(url.host, null, null);
  assert(r.status === 401 && /^Bearer/.test(r.headers["www-authenticate"] ?? ""), `status ${r.status}: ${r.body}`);
  assert(!r.body.includes(token), "the 401 body carries the token");
  return r.body;
});
await check("wrong token: 401", async () => {
  const wrong = await initializeWith(url.host, null, `Bearer ${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`);
  const basic = await initializeWith(url.host, null, `Basic ${token}`);
  assert(wrong.status === 401 && basic.status === 401, `statuses ${wrong.status}, ${basic.status}`);
  return [wrong.status, basic.status];
});
await check("the token works", async () => {
  const r = await initializeWith(url.host, null, bearer);
  assert(r.status === 200 && r.body.includes("serverInfo"), `status ${r.status}: ${r.body}`);
  return r.status;
});
await check("Origin http://localhost:1 (a page on another local port): 403, token or not", async () => {
  const r = await initializeWith(url.host, "http://localhost:1", bearer);
  const without = await initializeWith(url.host, "http://localhost:1", null);
  assert(r.status === 403 && without.status === 403, `statuses ${r.status}, ${without.status}: ${r.body}`);
  return r.body;
});
await check("dns rebinding: foreign Host refused with 403", async () => {
  const r = await initializeWith("evil.example.com", null, bearer);
  assert(r.status === 403, `status ${r.status}: ${r.body}`);
  return r.body;
});
await check("dns rebinding: foreign Origin refused with 403", async () => {
  const r = await initializeWith(url.host, "http://evil.example.com", bearer);
  assert(r.status === 403, `status ${r.status}: ${r.body}`);
  return r.status;
});
await check("this server's own origin (localhost Host and Origin) accepted", async () => {
  const r = await initializeWith(`localhost:${url.port}`, `http://localhost:${url.port}`, bearer);
  assert(r.status === 200, `status ${r.status}: ${r.body}`);
  return r.status;
});

function connect(endpoint, secret) {
  const client = new Client({ name: "pyro-http-it", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(endpoint, {
    requestInit: { headers: { Authorization: `Bearer ${secret}` } } });
  return client.connect(transport).then(() => ({ client, transport }));
}

function refusedHostCompat(r) {
  assert(r.isError === true, `expected a tool error: ${JSON.stringify(r)}`);
  const e = bothForms(r).error;
  assert(e.kind === "not_permitted" && e.argument === "allow_host_compat", JSON.stringify(e));
  assert(/pyro mcp serve --allow-host-compat/.test(e.message), e.message);
  assert(!fs.existsSync(marker), `${marker} exists: a command ran on the host`);
  return e.message;
}
const touchMarker = { environment: "debian:12-base", command: `touch ${marker}`, allow_host_compat: true };

const { client, transport } = await connect(url, token);

await check("tools/list over HTTP", async () => {
  const names = (await client.listTools()).tools.map((t) => t.name);
  assert(JSON.stringify(names) === JSON.stringify(expected), `listed ${names}, expected ${expected}`);
  return names;
});

await check("vm_run over HTTP with progress", async () => {
  const progress = [];
  const r = await client.callTool({ name: "vm_run", arguments: { environment: "debian:12-base", command: "uname -r" } },
    undefined, { ...LONG, onprogress: (p) => progress.push(p.message) });
  const s = bothForms(r);
  assert(r.isError !== true && s.exit_code === 0 && s.stdout.trim().endsWith("-pyro"), JSON.stringify(s));
  assert(progress.length > 0, "no progress notifications");
  return { stdout: s.stdout.trim(), progress: progress.length };
});

await check("tool error over HTTP", async () => {
  const r = await client.callTool({ name: "vm_run", arguments: { environment: "nope", command: "true" } }, undefined, LONG);
  assert(r.isError === true && bothForms(r).error.message.includes("unknown environment"), JSON.stringify(r));
  return bothForms(r).error.message;
});

await check("tool error: a guest never gets this MCP server's own port (allow_host_ports)", async () => {
  const r = await client.callTool({ name: "vm_run", arguments: { environment: "debian:12-base", command: "true",
    allow_host_ports: [Number(url.port)] } }, undefined, LONG);
  assert(r.isError === true && bothForms(r).error.message.includes("this MCP server's own port"), JSON.stringify(r));
  return bothForms(r).error.message;
});

await check("cancel a running vm_run over HTTP", () => cancelCheck(client, home));

await check("vm_run with allow_host_compat over HTTP: refused, nothing runs on the host", async () =>
  refusedHostCompat(await client.callTool({ name: "vm_run", arguments: touchMarker }, undefined, LONG)));

await check("no VM can start: allow_host_compat over HTTP still refused, nothing runs on the host", async () => {
  const { client: c, transport: t } = await connect(noVmUrl, noVmToken);
  try {
    const plain = await c.callTool({ name: "vm_run", arguments: { environment: "debian:12-base", command: "true" } },
      undefined, LONG);
    assert(plain.isError === true && ["host_setup", "runtime_not_ready", "build_failed", "vm_failed"]
      .includes(bothForms(plain).error.kind), `the VM should fail to start there: ${JSON.stringify(plain)}`);
    return refusedHostCompat(await c.callTool({ name: "vm_run", arguments: touchMarker }, undefined, LONG));
  } finally {
    await t.terminateSession().catch(() => {});
    await c.close();
  }
});

await transport.terminateSession().catch(() => {});
await client.close();
process.exitCode = failed() === 0 ? 0 : 1;
