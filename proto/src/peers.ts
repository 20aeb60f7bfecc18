export * from './generated/celeriac/peers/v1/peers';
