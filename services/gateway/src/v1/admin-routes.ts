import express, { Router } from 'express';
import { addConnection, connectionView, createKey, keyView } from '../admin/admin-commands';
import { canSee } from '../auth/principal';
import { DuplicateNameError } from '../data/admin-store';
import { BadRequestError, ForbiddenError, NotFoundError, UnavailableError } from '../errors';
import type { ApiDeps } from '../http/api-deps';
import { principalOf, requirePermission } from '../http/auth-middleware';
import { methodNotAllowed } from '../http/error-handler';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function idParam(value: unknown, what: string): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw new NotFoundError(`Unknown ${what}`);
  return value.toLowerCase();
}

function duplicateToBadRequest(error: unknown): never {
  if (error instanceof DuplicateNameError) throw new BadRequestError(error.message);
  throw error;
}

/** /api/v1/connections and /api/v1/keys, for admin keys. */
export function adminRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.use(
    ['/api/v1/connections', '/api/v1/keys'],
    requirePermission('admin'),
    express.json({ limit: '64kb' }),
  );

  router
    .route('/api/v1/connections')
    .get(async (_req, res) => {
      const principal = principalOf(res);
      const rows = (await deps.admin.listConnections()).filter((row) => canSee(principal, row.connection_id));
      res.json({ items: rows.map(connectionView) });
    })
    .post(async (req, res) => {
      if (!principalOf(res).allConnections)
        throw new ForbiddenError('Only an all-connections admin key adds connections');
      const seal = deps.sealBrokerUrl;
      if (!seal)
        throw new UnavailableError('CELERIAC_SECRET_KEY is not configured: broker URLs cannot be stored');
      const row = await addConnection(deps.admin, seal, req.body).catch(duplicateToBadRequest);
      res.status(201).json(connectionView(row));
    })
    .all(methodNotAllowed);

  router
    .route('/api/v1/connections/:connectionId')
    .delete(async (req, res) => {
      const id = idParam(req.params.connectionId, 'connection');
      if (!canSee(principalOf(res), id) || !(await deps.admin.deleteConnection(id))) {
        throw new NotFoundError('Unknown connection');
      }
      res.status(204).end();
    })
    .all(methodNotAllowed);

  // Keys can grant any connection, so only an all-connections admin manages them.
  router.use('/api/v1/keys', (_req, res, next) => {
    if (!principalOf(res).allConnections)
      throw new ForbiddenError('Only an all-connections admin key manages keys');
    next();
  });
  router
    .route('/api/v1/keys')
    .get(async (_req, res) => {
      res.json({ items: (await deps.admin.listKeys()).map(keyView) });
    })
    .post(async (req, res) => {
      const { key, row } = await createKey(deps.admin, req.body).catch(duplicateToBadRequest);
      res.status(201).json({ ...keyView(row), key });
    })
    .all(methodNotAllowed);

  router
    .route('/api/v1/keys/:keyId')
    .delete(async (req, res) => {
      if (!(await deps.admin.revokeKey(idParam(req.params.keyId, 'key'))))
        throw new NotFoundError('Unknown key');
      res.status(204).end();
    })
    .all(methodNotAllowed);
  return router;
}
