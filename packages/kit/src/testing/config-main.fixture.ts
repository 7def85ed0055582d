// A minimal main.ts for the config test: load settings the way every service does, then exit.
import { Type } from 'typebox';
import { loadConfigOrExit, serviceSettings } from '../config.ts';

loadConfigOrExit(Type.Object(serviceSettings(3000)));
process.stdout.write('configured\n');
