/**
 * The Azure resource-log record types (Key Vault audit, Microsoft Graph activity, Storage blob, Azure OpenAI, NSG rule events and counters, and the flow-log recogniser), in the
 * order the registry tries them. Kept in one list so the provider's index names them with one line.
 */
import type { SourceAdapter } from '../types.js';
import { azureFlowLog } from './flow-logs.js';
import { azureGraphActivity } from './graph-activity.js';
import { azureKeyVault } from './key-vault.js';
import { azureNsgEvent, azureNsgRuleCounter } from './nsg-events.js';
import { azureOpenAi } from './openai.js';
import { azureStorageBlob } from './storage-blob.js';

/** Resource-log adapters of the Azure provider. */
export const azureResourceLogAdapters: readonly SourceAdapter[] = [azureKeyVault, azureGraphActivity, azureStorageBlob, azureOpenAi, azureNsgEvent, azureNsgRuleCounter, azureFlowLog];
