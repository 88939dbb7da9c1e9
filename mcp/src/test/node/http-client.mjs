// Drives `pyro mcp serve --transport http` with the official MCP TypeScript client over streamable
// HTTP, and checks its DNS-rebinding protection. Run by McpHttpIT; output as stdio-client.mjs.
//
// Environment: PYRO_MCP_URL (the server's endpoint), PYRO_HOME (the server's state dir, the marker of
// its QEMU processes), PYRO_EXPECTED_TOOLS (JSON array of the tool names the server must list).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import http from "node:http";
import { assert, bothForms, cancelCheck, check, failed, LONG, need } from "./checks.mjs";

const url = new URL(need("PYRO_MCP_URL"));
const home = need("PYRO_HOME");
const expected = JSON.parse(need("PYRO_EXPECTED_TOOLS"));

/** POSTs an initialize with the given Host and Origin headers (fetch cannot set Host); resolves the status. */
function initializeWith(host, origin) {
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: {
    protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "rebinding-check", version: "1" } } });
  const headers = { "Content-Type": "application/json", Accept: "application/json, text/event-stream", Host: host };
  if (origin) headers.Origin = origin;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers }, (res) => {
      let data = "";
      res.on("data", (c) => (data += c));
      res.on("end", () => resolve({ status: res.statusCode, body: data }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

await check("dns rebinding: foreign Host refused with 403", async () => {
  const r = await initializeWith("evil.example.com", null);
  assert(r.status === 403, `status ${r.status}: ${r.body}`);
  return r.body;
});
await check("dns rebinding: foreign Origin refused with 403", async () => {
  const r = await initializeWith(url.host, "http://evil.example.com");
  assert(r.status === 403, `status ${r.status}: ${r.body}`);
  return r.status;
});
await check("dns rebinding: localhost Host and Origin accepted", async () => {
  const r = await initializeWith(`localhost:${url.port}`, `http://localhost:${url.port}`);
  assert(r.status === 200, `status ${r.status}: ${r.body}`);
  return r.status;
});

const client = new Client({ name: "pyro-http-it", version: "1.0.0" });
const transport = new StreamableHTTPClientTransport(url);
await client.connect(transport);

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

await transport.terminateSession().catch(() => {});
await client.close();
process.exitCode = failed() === 0 ? 0 : 1;
