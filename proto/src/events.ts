export * from './generated/celeriac/v1/events';
