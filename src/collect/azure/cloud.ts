/**
 * Azure clouds (the az CLI names) and their endpoints, with the `IRCTL_AZURE_*_ENDPOINT` overrides (pure).
 */
import { UsageError } from '../../errors.js';

/** The clouds `--cloud` accepts. */
export const AZURE_CLOUDS = ['AzureCloud', 'AzureUSGovernment', 'AzureChinaCloud'] as const;
/** One of {@link AZURE_CLOUDS}. */
export type AzureCloudName = (typeof AZURE_CLOUDS)[number];

/** Endpoints of one cloud. */
export interface AzureEndpoints {
  cloud: AzureCloudName;
  /** Azure Resource Manager, e.g. `https://management.azure.com`. */
  arm: string;
  /** Token audience of ARM (scope = audience + `/.default`). */
  armAudience: string;
  /** Microsoft Graph, e.g. `https://graph.microsoft.com`. */
  graph: string;
  graphAudience: string;
  /** Log Analytics query API base including `/v1`. */
  logs: string;
  logsAudience: string;
  /** Entra ID authority host. */
  authority: string;
}

const CLOUDS: Record<AzureCloudName, Omit<AzureEndpoints, 'cloud'>> = {
  AzureCloud: {
    arm: 'https://management.azure.com',
    armAudience: 'https://management.azure.com',
    graph: 'https://graph.microsoft.com',
    graphAudience: 'https://graph.microsoft.com',
    logs: 'https://api.loganalytics.io/v1',
    logsAudience: 'https://api.loganalytics.io',
    authority: 'https://login.microsoftonline.com',
  },
  AzureUSGovernment: {
    arm: 'https://management.usgovcloudapi.net',
    armAudience: 'https://management.usgovcloudapi.net',
    graph: 'https://graph.microsoft.us',
    graphAudience: 'https://graph.microsoft.us',
    logs: 'https://api.loganalytics.us/v1',
    logsAudience: 'https://api.loganalytics.us',
    authority: 'https://login.microsoftonline.us',
  },
  AzureChinaCloud: {
    arm: 'https://management.chinacloudapi.cn',
    armAudience: 'https://management.chinacloudapi.cn',
    graph: 'https://microsoftgraph.chinacloudapi.cn',
    graphAudience: 'https://microsoftgraph.chinacloudapi.cn',
    logs: 'https://api.loganalytics.azure.cn/v1',
    logsAudience: 'https://api.loganalytics.azure.cn',
    authority: 'https://login.chinacloudapi.cn',
  },
};

const trimSlash = (s: string): string => s.replace(/\/+$/, '');

/**
 * Endpoints of `cloud`, with the environment overrides applied. An override changes where requests go, never the token
 * audience (a proxy or test server for ARM still receives ARM tokens).
 */
export function azureEndpoints(cloud: string | undefined, env: NodeJS.ProcessEnv): AzureEndpoints {
  const name = (cloud ?? env.IRCTL_AZURE_CLOUD ?? 'AzureCloud') as AzureCloudName;
  const base = CLOUDS[name];
  if (!(AZURE_CLOUDS as readonly string[]).includes(name) || base === undefined) {
    throw new UsageError(`--cloud ${JSON.stringify(cloud)} is not an Azure cloud`, { hint: `Use one of ${AZURE_CLOUDS.join(', ')} (the names \`az cloud list\` prints).` });
  }
  const o = (k: string): string | undefined => {
    const v = env[k];
    return v !== undefined && v.trim() !== '' ? trimSlash(v.trim()) : undefined;
  };
  return {
    cloud: name,
    ...base,
    arm: o('IRCTL_AZURE_ARM_ENDPOINT') ?? base.arm,
    graph: o('IRCTL_AZURE_GRAPH_ENDPOINT') ?? base.graph,
    logs: o('IRCTL_AZURE_LOGS_ENDPOINT') ?? base.logs,
    authority: o('IRCTL_AZURE_AUTHORITY_HOST') ?? o('AZURE_AUTHORITY_HOST') ?? base.authority,
  };
}
