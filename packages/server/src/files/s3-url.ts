/**
 * FILES_S3_URL: where an S3-compatible bucket is and how to reach it, in one line.
 *
 *   s3://ACCESS_KEY_ID:SECRET_ACCESS_KEY@HOST[:PORT]/BUCKET[/KEY_PREFIX]?region=REGION&tls=true&forcePathStyle=true
 *
 * Credentials are percent-encoded (a secret's `/` is `%2F`, `+` is `%2B`); without them the
 * SDK's usual chain is used (AWS_ACCESS_KEY_ID…, an instance or pod role). `tls=false` speaks
 * plain HTTP (a MinIO on the same machine); `forcePathStyle=false` addresses the bucket as
 * BUCKET.HOST (virtual-hosted style) instead of HOST/BUCKET. KEY_PREFIX puts every file under
 * that folder of the bucket, so several deployments can share one.
 */
export interface S3Location {
  /** https://HOST[:PORT] or http://… */
  endpoint: string;
  region: string;
  bucket: string;
  /** '' or a folder such as `parley/`, always ending in a slash. */
  keyPrefix: string;
  forcePathStyle: boolean;
  credentials: { accessKeyId: string; secretAccessKey: string } | null;
}

const PARAMS = new Set(['region', 'tls', 'forcePathStyle']);
/** S3's rules for new bucket names (lowercase, digits, dots and hyphens, 3–63 characters). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

/** Parses FILES_S3_URL; throws an Error whose message says what is wrong, never echoing the secret. */
export function parseS3Url(value: string): S3Location {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('Must look like s3://ACCESS_KEY:SECRET@host[:port]/bucket[/prefix]?region=…');
  }
  if (url.protocol !== 's3:') throw new Error('Must start with s3:// (s3://ACCESS_KEY:SECRET@host[:port]/bucket?region=…)');
  if (!url.hostname) throw new Error('Needs the storage host: s3://ACCESS_KEY:SECRET@host[:port]/bucket');
  const [bucket = '', ...rest] = url.pathname.replace(/^\//, '').replace(/\/$/, '').split('/');
  if (!BUCKET.test(bucket)) throw new Error('Needs a bucket name after the host (3–63 lowercase letters, digits, dots or hyphens): s3://…@host/bucket');
  const prefix = rest.join('/');
  if (prefix && !PREFIX.test(prefix)) throw new Error('The key prefix after the bucket may hold letters, digits, "_", "." and "-" between slashes');
  for (const name of url.searchParams.keys()) {
    if (!PARAMS.has(name)) throw new Error(`Unknown parameter "${name}": the parameters are region, tls and forcePathStyle`);
  }
  const region = url.searchParams.get('region') ?? 'us-east-1';
  if (!/^[a-z0-9-]{1,64}$/.test(region)) throw new Error('region must look like us-east-1');
  const tls = flag(url.searchParams.get('tls'), 'tls', true);
  const forcePathStyle = flag(url.searchParams.get('forcePathStyle'), 'forcePathStyle', true);
  if (Boolean(url.username) !== Boolean(url.password)) throw new Error('Give both the access key and the secret (s3://ACCESS_KEY:SECRET@…), or neither');
  let credentials: S3Location['credentials'] = null;
  if (url.username) {
    try {
      credentials = { accessKeyId: decodeURIComponent(url.username), secretAccessKey: decodeURIComponent(url.password) };
    } catch {
      throw new Error('The access key or secret is not properly percent-encoded (write "/" as %2F, "+" as %2B)');
    }
  }
  return {
    endpoint: `${tls ? 'https' : 'http'}://${url.host}`,
    region,
    bucket,
    keyPrefix: prefix ? `${prefix}/` : '',
    forcePathStyle,
    credentials,
  };
}

function flag(value: string | null, name: string, fallback: boolean): boolean {
  if (value === null) return fallback;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new Error(`${name} must be true or false`);
}
