import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { ApiError, request, setCsrfToken, setUnauthorizedHandler } from './api/client';
import type { Session } from './api/types';

interface SessionValue {
  /** undefined while the first GET /api/v1/session is in flight; null when signed out. */
  session: Session | null | undefined;
  signIn(key: string): Promise<void>;
  signOut(): Promise<void>;
  can(permission: 'read' | 'command' | 'admin'): boolean;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const adopt = useCallback((value: Session | null) => {
    setCsrfToken(value?.csrfToken ?? null);
    setSession(value);
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => adopt(null));
    request<Session>('GET', '/api/v1/session')
      .then(adopt)
      .catch(() => adopt(null));
  }, [adopt]);

  const value = useMemo<SessionValue>(
    () => ({
      session,
      async signIn(key) {
        adopt(await request<Session>('POST', '/api/v1/session', { key }));
      },
      async signOut() {
        try {
          await request<void>('DELETE', '/api/v1/session');
        } catch (error) {
          // Already gone server-side: signing out locally is still right.
          if (!(error instanceof ApiError && error.status === 401)) throw error;
        }
        adopt(null);
      },
      can: (permission) => session?.permissions.includes(permission) ?? false,
    }),
    [session, adopt],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside <SessionProvider>');
  return value;
}
