/**
 * Every REST command of the API (SPEC §2), built from the app-layer services that carry them out.
 * One list, so the composition root hands the services over and this module decides the routes.
 */
import type { AppRegistry } from '../../../app/app-registry.js';
import type { CallPolicyService } from '../../../app/call-policy-service.js';
import type { CallbackConfigService } from '../../../app/callback-config-service.js';
import type { CallService } from '../../../app/call-service.js';
import type { DeliveryService } from '../../../app/delivery-service.js';
import type { Clock } from '../../../app/ports.js';
import type { RecordService } from '../../../app/record-service.js';
import type { DestinationPolicy } from '../../../callbacks/destination.js';
import type { RestCommand } from '../command.js';
import { adminCommands } from './admin.js';
import { callConfigCommands, callPolicyCommands } from './call-config.js';
import { callEngineCommands } from './call-engine.js';
import { callRecordCommands } from './call-record.js';
import { deliveryCommands } from './deliveries.js';

/** The services the REST commands call. */
export interface RestServices {
  apps: AppRegistry;
  clock: Clock;
  calls: CallService;
  callbackConfig: CallbackConfigService;
  callPolicy: CallPolicyService;
  deliveries: DeliveryService;
  records: RecordService;
  /** Checks callback URLs as they are set. */
  destinations: DestinationPolicy;
}

/** All REST commands, in the order they are registered. */
export function restCommands(s: RestServices): RestCommand[] {
  return [
    ...callConfigCommands(s.callbackConfig, s.destinations),
    ...callPolicyCommands(s.callPolicy),
    ...deliveryCommands(s.deliveries),
    ...callRecordCommands(s.records),
    ...callEngineCommands(s.calls),
    ...adminCommands(s.apps, s.clock),
  ];
}
