import { Suspense } from 'react';
import { WorkspaceView } from './_components/workspace-view';

export default async function WorkspacePage({ params }: { params: Promise<{ workspaceId: string }> }) {
  const { workspaceId } = await params;
  // The pane and the open file are read from the URL's search params (client-side).
  return (
    <Suspense>
      <WorkspaceView workspaceId={workspaceId} />
    </Suspense>
  );
}
