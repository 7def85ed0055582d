export { decryptData, encryptData, MadminDecryptionError } from './madmin-encryption.ts';
export {
  type AccountStatus,
  MinioAdmin,
  MinioAdminError,
  type MinioAdminOptions,
  type UserInfo,
} from './minio-admin-client.ts';
export { type PolicyDocument, type PolicyStatement, samePolicy } from './policy-document.ts';
