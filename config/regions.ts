/**
 * The AWS commercial regions (partition `aws`) and the letters of their availability zones, so that
 * a misspelt region or zone is refused at load time instead of by terraform.
 *
 * Where the facts come from: the regions are those of the `aws` partition in botocore's
 * `data/endpoints.json` (the AWS SDKs' own list); the zone letters are those moto 5.2 returns from
 * `DescribeAvailabilityZones`, which copies AWS's answer, widened where AWS gives different
 * accounts different names (noted per line). A zone's letter is mapped per account, so a letter
 * here is one that exists for some account, not necessarily for yours.
 *
 * To add a region: check `aws ec2 describe-availability-zones --region <region> --all-availability-zones`
 * (the `ZoneName`s of type `availability-zone`; leave out local and wavelength zones) and add a line.
 */
export const AWS_REGIONS = {
  'af-south-1': 'abc',
  'ap-east-1': 'abc',
  'ap-east-2': 'abc',
  // ap-northeast-1b is given only to older accounts.
  'ap-northeast-1': 'abcd',
  'ap-northeast-2': 'abcd',
  'ap-northeast-3': 'abc',
  'ap-south-1': 'abc',
  'ap-south-2': 'abc',
  'ap-southeast-1': 'abc',
  'ap-southeast-2': 'abc',
  'ap-southeast-3': 'abc',
  'ap-southeast-4': 'abc',
  'ap-southeast-5': 'abc',
  'ap-southeast-6': 'abc',
  'ap-southeast-7': 'abc',
  'ca-central-1': 'abd',
  'ca-west-1': 'abc',
  'eu-central-1': 'abc',
  'eu-central-2': 'abc',
  'eu-north-1': 'abc',
  'eu-south-1': 'abc',
  'eu-south-2': 'abc',
  'eu-west-1': 'abc',
  'eu-west-2': 'abc',
  'eu-west-3': 'abc',
  'il-central-1': 'abc',
  'me-central-1': 'abc',
  'me-south-1': 'abc',
  'mx-central-1': 'abc',
  'sa-east-1': 'abc',
  'us-east-1': 'abcdef',
  'us-east-2': 'abc',
  // Each account sees two of us-west-1's three zone names (a and b, or b and c).
  'us-west-1': 'abc',
  'us-west-2': 'abcd',
} as const satisfies Record<string, string>;

export type AwsRegion = keyof typeof AWS_REGIONS;

export function isKnownRegion(region: string): region is AwsRegion {
  return Object.prototype.hasOwnProperty.call(AWS_REGIONS, region);
}

/** The zone names of a known region, e.g. `eu-west-1a`, `eu-west-1b`, `eu-west-1c`. */
export function zonesOf(region: AwsRegion): string[] {
  return [...AWS_REGIONS[region]].map((letter) => `${region}${letter}`);
}

/** Why `region` is refused, naming where to add it; undefined when it is known. */
export function unknownRegionMessage(region: string): string | undefined {
  if (isKnownRegion(region)) return undefined;
  const family = region.replace(/-\d+$/, '');
  const near = Object.keys(AWS_REGIONS).filter((r) => r.startsWith(`${family}-`));
  const hint = near.length ? ` Did you mean ${near.join(', ')}?` : '';
  return `"${region}" is not an AWS commercial region.${hint} If AWS has opened it since, add it to config/regions.ts.`;
}
