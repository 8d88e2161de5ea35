import { z } from 'zod';

/** Stable codes carried across every boundary; the UI and CLI map them to sentences. */
export const ErrorCode = z.enum([
  'INVALID_ARGUMENT',
  'INVALID_REFERENCE',
  'IMAGE_NOT_FOUND',
  'REGISTRY_UNAUTHORIZED',
  'REGISTRY_ERROR',
  'DIGEST_MISMATCH',
  'UNSAFE_LAYER',
  'IMAGE_IN_USE',
  'BUILD_FAILED',
  'VOLUME_NOT_FOUND',
  'VOLUME_IN_USE',
  'NETWORK_NOT_FOUND',
  'NETWORK_IN_USE',
  'PATH_NOT_FOUND',
  'PATH_NOT_DIRECTORY',
  'PATH_NOT_FILE',
  'PATH_READ_ONLY',
  'FILE_TOO_LARGE',
  'CONTAINER_NOT_FOUND',
  'NAME_IN_USE',
  'CONTAINER_RUNNING',
  'CONTAINER_NOT_RUNNING',
  'INVALID_SIGNAL',
  'RUNTIME_MISSING',
  'RUNTIME_ERROR',
  'COMMAND_NOT_FOUND',
  'COMMAND_NOT_RUNNABLE',
  'NETWORK_ERROR',
  'PORT_IN_USE',
  'ENGINE_NOT_RUNNING',
  'ENGINE_ALREADY_RUNNING',
  'HOST_NOT_READY',
  'UNKNOWN_METHOD',
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorInfo = z.object({
  code: ErrorCode,
  message: z.string(),
  /** What to do about it, when the engine knows. */
  fix: z.string().optional(),
  detail: z.unknown().optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfo>;
