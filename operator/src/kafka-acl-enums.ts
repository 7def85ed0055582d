/**
 * kafkajs' ACL enums. kafkajs is CommonJS and assigns its exports dynamically, so Node's ESM
 * loader cannot see these as named exports; they are read from the default export once, here.
 */
import kafkajs from 'kafkajs';

export const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;
