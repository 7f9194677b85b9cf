import { expect, it } from 'vitest';
import * as api from '../src/index.js';

it('exports exactly this public API (a change here needs a changeset)', () => {
  expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
    [
      "BandApiError",
      "TunnelCheckError",
      "UPLOAD_ROUTES",
      "abortChatInput",
      "changesDiffInput",
      "changesStatusInput",
      "chatEventsInput",
      "chatHistoryInput",
      "commitInput",
      "createBandApi",
      "createChatInput",
      "createPairingCodeInput",
      "createTerminalInput",
      "createWorkspaceInput",
      "getProjectInput",
      "getWorkspaceInput",
      "killTerminalInput",
      "listChatsInput",
      "listFilesInput",
      "listTerminalsInput",
      "listWorkspacesInput",
      "markSeenInput",
      "readFileInput",
      "registerProjectInput",
      "removeProjectInput",
      "removeWorkspaceInput",
      "resizeTerminalInput",
      "revertFileInput",
      "revokeDeviceInput",
      "runSetupInput",
      "sendChatInput",
      "sendTerminalInput",
      "setSettingInput",
      "terminalEventsInput",
      "terminalOutputInput",
      "uploadLimits",
      "workspaceEventsInput",
    ]
  `);
});
