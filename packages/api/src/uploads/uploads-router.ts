import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { BandApiError } from '../errors.js';
import { authedProcedure } from '../trpc.js';
import { fileTooLarge } from './upload-service.js';

/** `POST /api/trpc/uploads.create`: the one tRPC path that takes a multipart body (the gate's `uploadRoutes`). */
export const UPLOAD_PATH = '/api/trpc/uploads.create';

/**
 * One file per call, as FormData: `workspaceId` (text) and `file` (a File). The dashboard sends it through
 * `httpLink` (splitLink + isNonJsonSerializable), so the gate, the CSRF check and the session are the same as for
 * every other call.
 */
export const uploadInput = z.instanceof(FormData);

async function readForm(form: FormData) {
  const workspaceId = form.get('workspaceId');
  const file = form.get('file');
  if (typeof workspaceId !== 'string' || workspaceId === '') {
    throw new BandApiError('INVALID_INPUT', 'The upload has no workspaceId field', { reason: 'UPLOAD_NO_WORKSPACE' });
  }
  if (!(file instanceof Blob))
    throw new BandApiError('INVALID_INPUT', 'The upload has no file field', { reason: 'UPLOAD_NO_FILE' });
  const name = (file as File).name ?? 'file';
  return { workspaceId, file, name };
}

export const uploadsRouter = {
  /** Stores one file for a workspace's next message; returns its `Attachment` (id, name, size, mediaType, kind). */
  create: authedProcedure.input(uploadInput).mutation(async ({ ctx, input }) => {
    const { workspaceId, file, name } = await readForm(input);
    // Refused before the bytes are copied (the body itself is capped by createBandApi).
    if (file.size > ctx.services.uploads.limits.maxFileBytes) throw fileTooLarge(name, file.size);
    return ctx.services.uploads.save({
      workspaceId,
      name,
      type: file.type,
      bytes: new Uint8Array(await file.arrayBuffer()),
    });
  }),
} satisfies TRPCRouterRecord;
