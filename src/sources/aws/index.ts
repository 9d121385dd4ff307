/**
 * The AWS provider: CloudTrail entries and EC2 context records, and everything irctl knows about AWS identities,
 * privilege and logging. Collection clients live in `src/collect/aws/`.
 */
import { awsContainment } from '../../respond/aws/plan.js';
import type { Provider } from '../types.js';
import { awsBedrockInvocation, cloudWatchLogsContainer } from './bedrock-invocation.js';
import { awsCloudTrail, lookupContainer } from './cloudtrail.js';
import { awsEc2ContextAdapters } from './ec2-context.js';
import { embeddedCloudTrail } from './exports.js';
import { awsVpcFlowLog, flowLogTextFormat } from './flow-logs.js';
import { awsS3AccessLog, s3AccessTextFormat } from './s3-access.js';
import { awsGuardDutyFinding, guardDutyFindingsContainer } from './guardduty.js';
import {
  ADMIN_GRANT_ACTIONS,
  adminGrants,
  AWS_PSEUDONYM_PATTERNS,
  AWS_TAMPER_ACTIONS,
  awsExtraEntities,
  awsJewelForms,
  awsRolesAssumed,
  instanceOfSession,
  adminNamedRole,
  isAwsServiceValue,
  isRootPrincipal,
  roleArnOfSession,
  shortNameOfArn,
} from './knowledge.js';
import { configureAwsIpRanges } from './ip-ranges.js';
import { awsHostEntities } from './hostnames.js';

/** AWS. */
export const awsProvider: Provider = {
  name: 'aws',
  description: 'Amazon Web Services: CloudTrail (S3 log files, LookupEvents, Lake, EventBridge) and EC2 context',
  adapters: [awsCloudTrail, ...awsEc2ContextAdapters, awsBedrockInvocation, awsVpcFlowLog, awsS3AccessLog, awsGuardDutyFinding],
  containers: [lookupContainer, cloudWatchLogsContainer, guardDutyFindingsContainer],
  textFormats: [flowLogTextFormat, s3AccessTextFormat],
  embeddedRecord: embeddedCloudTrail,
  skipFile: (path) => (/CloudTrail-Digest/.test(path) ? 'a CloudTrail digest file (integrity data, not events)' : undefined),
  isServicePrincipal: isAwsServiceValue,
  extraEntities: awsExtraEntities,
  instanceOfSession,
  hostEntities: awsHostEntities,
  roleOfSession: roleArnOfSession,
  shortName: shortNameOfArn,
  privilege: {
    isRoot: isRootPrincipal,
    adminNamedRole,
    grantActions: [{ service: 'iam', actions: ADMIN_GRANT_ACTIONS }],
    adminGrants,
  },
  tampering: { actions: AWS_TAMPER_ACTIONS, stops: ['StopLogging', 'DeleteTrail'], starts: ['StartLogging', 'CreateTrail'] },
  rolesAssumed: awsRolesAssumed,
  jewelForms: awsJewelForms,
  pseudonymPatterns: AWS_PSEUDONYM_PATTERNS,
  containment: awsContainment,
  configure: configureAwsIpRanges,
};
