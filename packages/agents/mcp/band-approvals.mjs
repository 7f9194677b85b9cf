#!/usr/bin/env node
// Band's permission prompt tool for Claude Code (`--permission-prompt-tool mcp__band_approvals__permission_prompt`).
// Claude Code starts this MCP stdio server from the `--mcp-config` file Band wrote for one turn (0600, never argv).
// Each call is forwarded to the Band server's per-turn approval endpoint and answered when the user decides.
// The capability comes from the environment of that config file: it is valid only for this turn's approvals.
import { request } from 'node:http';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const socketPath = process.env.BAND_APPROVAL_SOCKET;
const capability = process.env.BAND_APPROVAL_CAPABILITY;
// Do not hand the capability to anything this process might start.
delete process.env.BAND_APPROVAL_CAPABILITY;

const TOOL = 'permission_prompt';

/** Asks the Band server and waits (as long as it takes) for the user's answer. */
function ask(body) {
  return new Promise((resolve) => {
    if (!socketPath || !capability) {
      resolve({ behavior: 'deny', message: 'Band approvals are not configured for this turn.' });
      return;
    }
    const payload = JSON.stringify(body);
    const req = request(
      {
        socketPath,
        path: '/approval',
        method: 'POST',
        headers: {
          authorization: `Bearer ${capability}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          try {
            const answer = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            if (res.statusCode === 200 && (answer.behavior === 'allow' || answer.behavior === 'deny')) resolve(answer);
            else resolve({ behavior: 'deny', message: `Band refused the approval request (HTTP ${res.statusCode}).` });
          } catch {
            resolve({ behavior: 'deny', message: 'Band sent an unreadable answer to the approval request.' });
          }
        });
        res.on('error', () =>
          resolve({ behavior: 'deny', message: 'The connection to Band broke while waiting for an answer.' }),
        );
      },
    );
    req.on('error', (error) => resolve({ behavior: 'deny', message: `Band could not be reached: ${error.message}` }));
    req.end(payload);
  });
}

const server = new Server({ name: 'band-approvals', version: '0.1.0' }, { capabilities: { tools: {} } });

server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [
    {
      name: TOOL,
      description: 'Asks the Band user (dashboard, phone or CLI) whether a tool may run.',
      inputSchema: {
        type: 'object',
        properties: {
          tool_name: { type: 'string' },
          input: { type: 'object' },
          tool_use_id: { type: 'string' },
        },
        required: ['tool_name', 'input'],
      },
    },
  ],
}));

server.setRequestHandler(CallToolRequestSchema, async (req) => {
  if (req.params.name !== TOOL) {
    return { isError: true, content: [{ type: 'text', text: `Unknown tool: ${req.params.name}` }] };
  }
  const args = req.params.arguments ?? {};
  const input = args.input && typeof args.input === 'object' ? args.input : {};
  const answer = await ask({
    toolName: String(args.tool_name ?? 'unknown'),
    input,
    toolUseId: typeof args.tool_use_id === 'string' ? args.tool_use_id : undefined,
  });
  // Claude Code's permission prompt protocol: allow carries the (possibly edited) input, deny a message for the model.
  const result =
    answer.behavior === 'allow'
      ? {
          behavior: 'allow',
          updatedInput: answer.updatedInput && typeof answer.updatedInput === 'object' ? answer.updatedInput : input,
        }
      : { behavior: 'deny', message: answer.message || 'The user denied this.' };
  return { content: [{ type: 'text', text: JSON.stringify(result) }] };
});

await server.connect(new StdioServerTransport());
