import { readChatPage } from '@/lib/page-data';
import { WorkspaceView } from './_components/workspace-view';

export default async function WorkspacePage({ params }: { params: Promise<{ workspaceId: string }> }) {
  const { workspaceId } = await params;
  // The Chat pane's newest messages come with the page (issue 19); the pane and the open file are read from the
  // URL's search params (client-side).
  const initialChat = await readChatPage(workspaceId);
  return <WorkspaceView workspaceId={workspaceId} initialChat={initialChat} />;
}
