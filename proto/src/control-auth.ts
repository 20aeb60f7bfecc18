import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InterceptingCall, type Interceptor, type Metadata } from '@grpc/grpc-js';

/**
 * Authentication of the Control gRPC service, shared by its server (collector) and its client
 * (gateway): every call carries `authorization: Bearer <token>` with a token both sides read from
 * their environment. Control publishes tasks and broadcasts commands into tenants' brokers, so an
 * unauthenticated port reachable inside a cluster would bypass every API key.
 */
export const CONTROL_AUTH_METADATA = 'authorization';
/** Shorter tokens are refused at start-up: a guessable token is no authentication. */
export const MIN_CONTROL_TOKEN_LENGTH = 16;

export interface ControlAuthSettings {
  token?: string | undefined;
  /** A file holding the token (a mounted k8s Secret); surrounding whitespace is ignored. */
  tokenFile?: string | undefined;
  /** Explicit opt-out: no token sent or required. */
  disabled: boolean;
}

/**
 * The token to use, or undefined when authentication is explicitly disabled. Throws when neither a
 * token nor the opt-out is configured, so a deployment cannot run an open Control port by omission.
 */
export function resolveControlToken(settings: ControlAuthSettings): string | undefined {
  if (settings.disabled) return undefined;
  const token = settings.token ?? (settings.tokenFile ? readFileSync(settings.tokenFile, 'utf8').trim() : '');
  if (token.length < MIN_CONTROL_TOKEN_LENGTH)
    throw new Error(
      `Control needs CELERIAC_CONTROL_TOKEN or CELERIAC_CONTROL_TOKEN_FILE (at least ${MIN_CONTROL_TOKEN_LENGTH} characters), or CELERIAC_CONTROL_AUTH_DISABLED=true`,
    );
  return token;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Server side: true when the call's metadata carries the token. Constant time in the token's content. */
export function controlCallAuthorized(expected: string, metadata: Metadata): boolean {
  const presented = metadata.get(CONTROL_AUTH_METADATA)[0];
  if (typeof presented !== 'string' || presented.length > 4096) return false;
  // Equal-length digests, so timingSafeEqual never leaks the token's length either.
  return timingSafeEqual(digest(presented), digest(`Bearer ${expected}`));
}

/** Client side: adds the token to every call of a client built with this interceptor. */
export function controlTokenInterceptor(token: string): Interceptor {
  const value = `Bearer ${token}`;
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(CONTROL_AUTH_METADATA, value);
        next(metadata, listener);
      },
    });
}
