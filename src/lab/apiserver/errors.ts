// Kubernetes-style errors: an ApiError carries the HTTP code, the StatusReason
// and details, and renders as a meta/v1 Status object exactly like the real API
// server (k8s.io/apimachinery/pkg/api/errors). Every failure the server returns,
// over HTTP or to in-process callers, is one of these.
import type { JsonObject } from './kinds.ts';

export type StatusReason =
  | 'BadRequest'
  | 'NotFound'
  | 'Forbidden'
  | 'MethodNotAllowed'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Expired'
  | 'Gone'
  | 'Invalid'
  | 'UnsupportedMediaType'
  | 'NotAcceptable'
  | 'Timeout'
  | 'InternalError';

export interface StatusCause {
  readonly reason: string;
  readonly message: string;
  readonly field: string;
}

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly causes?: readonly StatusCause[];
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details: StatusDetails | undefined;

  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  /** The meta/v1 Status object for this error. */
  toStatus(): JsonObject {
    const status: JsonObject = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details !== undefined) status['details'] = JSON.parse(JSON.stringify(this.details)) as JsonObject;
    return status;
  }
}

/** "pods" / "endpointslices.discovery.k8s.io" as the real server names a resource in messages. */
export function qualified(plural: string, group: string): string {
  return group === '' ? plural : `${plural}.${group}`;
}

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

export const notFound = (plural: string, group: string, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${qualified(plural, group)} "${name}" not found`, { name, group, kind: plural });

export const alreadyExists = (plural: string, group: string, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualified(plural, group)} "${name}" already exists`, { name, group, kind: plural });

export const conflict = (plural: string, group: string, name: string, why: string): ApiError =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(plural, group)} "${name}": ${why}`, {
    name,
    group,
    kind: plural,
  });

/** 410 for a resourceVersion older than the retained history (etcd "compacted"). */
export const expired = (message: string): ApiError => new ApiError(410, 'Expired', message);

export const invalid = (kind: string, group: string, name: string, causes: readonly StatusCause[]): ApiError => {
  const summary = causes.map((c) => (c.field === '' ? c.message : `${c.field}: ${c.message}`)).join(', ');
  return new ApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${summary}`, { name, group, kind, causes });
};

export const methodNotAllowed = (method: string): ApiError =>
  new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`);

export const unsupportedMediaType = (type: string): ApiError =>
  new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${type})`);

/** Any thrown value as an ApiError (unknown errors become 500 InternalError). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);
}
