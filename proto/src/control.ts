export * from './generated/celeriac/v1/control';
