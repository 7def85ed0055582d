// Every server of the stack, in the order `stack status` lists them.
import type { ServerDefinition } from '../server.ts';
import { elasticsearch } from './elasticsearch.ts';
import { etcd } from './etcd.ts';
import { ferretdb } from './ferretdb.ts';
import { kafka } from './kafka.ts';
import { kubeApiserver } from './kube-apiserver.ts';
import { kubeControllerManager } from './kube-controller-manager.ts';
import { kubeScheduler } from './kube-scheduler.ts';
import { kwok } from './kwok.ts';
import { mailpit } from './mailpit.ts';
import { minio } from './minio.ts';
import { postgres } from './postgres.ts';
import { redis } from './redis.ts';

export const servers: ServerDefinition[] = [
  redis,
  postgres,
  ferretdb,
  kafka,
  minio,
  elasticsearch,
  etcd,
  kubeApiserver,
  kubeControllerManager,
  kubeScheduler,
  kwok,
  mailpit,
];
