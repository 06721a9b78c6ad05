export * from './app-error';
export * from './error-table';
export * from './error-body';
export * from './format-error';
