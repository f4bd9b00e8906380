/** Reading the AWS SDK's errors: their name, HTTP status, and a one-paragraph message for users. */
import { BddaError } from '../../config/errors';

/** The SDK error's name, also through one {@link awsFailure} that explains it. */
export function errName(err: unknown): string {
  const e = err as { name?: string; cause?: { name?: string } } | undefined;
  return (e?.name === 'Error' ? e.cause?.name : e?.name) ?? e?.name ?? '';
}

/** The SDK error's HTTP status, also through one {@link awsFailure} that explains it. */
export function httpStatus(err: unknown): number | undefined {
  type WithStatus = { $metadata?: { httpStatusCode?: number } };
  const e = err as (WithStatus & { cause?: WithStatus }) | undefined;
  return e?.$metadata?.httpStatusCode ?? e?.cause?.$metadata?.httpStatusCode;
}

/** True for the SDK's "no such object" answers (404, NoSuchKey, NotFound). */
export function isMissing(err: unknown): boolean {
  return httpStatus(err) === 404 || errName(err) === 'NoSuchKey' || errName(err) === 'NotFound';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ENOTFOUND' || code === 'ETIMEDOUT';
}

/**
 * The error to report for a failed call while `doing` something: a BddaError for missing
 * credentials or an unreachable endpoint, else the SDK's error with `doing` in front.
 */
export function awsFailure(err: unknown, doing: string): Error {
  const name = errName(err);
  if (name === 'CredentialsProviderError' || name === 'ExpiredToken' || name === 'ExpiredTokenException') {
    return new BddaError(`No valid AWS credentials while ${doing}: ${messageOf(err)}. Log in (e.g. aws sso login) and run again.`, { cause: err });
  }
  if (isConnectionError(err)) {
    return new BddaError(`Could not reach AWS while ${doing}: ${messageOf(err)}.`, { cause: err });
  }
  return new Error(`${doing}: ${messageOf(err)}`, { cause: err });
}
