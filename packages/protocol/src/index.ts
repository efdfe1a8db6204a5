// Installs the human-readable validation messages before any schema is used.
export * from './validation';
export * from './ids';
export * from './limits';
export * from './errors';
export * from './route';
export * from './users';
export * from './auth';
export * from './instance';
export * from './routes';
