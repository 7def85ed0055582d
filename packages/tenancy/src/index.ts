export * from './resource-names.ts';
export * from './tenant-directory.ts';
export * from './tenant-id.ts';
export * from './tenant-runtime.ts';
