/** The pages by route; a signed-out visitor of a signed-in page is sent to sign-in. */
import { useEffect, useState } from 'preact/hooks';
import { startLive } from './chat/live.ts';
import { AcceptInvitationPage } from './pages/accept-invitation-page.tsx';
import { AccountPage } from './pages/account-page.tsx';
import { AdminPage } from './pages/admin-page.tsx';
import { AuditPage } from './pages/audit-page.tsx';
import { ChatPage } from './pages/chat-page.tsx';
import { CompliancePage } from './pages/compliance-page.tsx';
import { IntegrationsPage } from './pages/integrations-page.tsx';
import { SearchPage } from './pages/search-page.tsx';
import { SignInPage } from './pages/sign-in-page.tsx';
import { SignUpPage, VerifySignUpPage } from './pages/sign-up-page.tsx';
import { useRoute } from './router.ts';
import { currentSession, onSessionChange } from './session.ts';

export function App() {
  const route = useRoute();
  const [session, setSession] = useState(currentSession);
  useEffect(() => onSessionChange(() => setSession(currentSession())), []);
  // One socket for the tab while signed in (live.ts closes it at sign-out).
  useEffect(() => {
    if (session) startLive();
  }, [session]);
  const [page, id] = route.path;

  if (page === 'invitation') {
    return (
      <AcceptInvitationPage tenant={route.query.get('tenant') ?? ''} token={route.query.get('token') ?? ''} />
    );
  }
  if (page === 'sign-up' && id === 'verify') {
    return (
      <VerifySignUpPage tenant={route.query.get('tenant') ?? ''} token={route.query.get('token') ?? ''} />
    );
  }
  if (page === 'sign-up') return <SignUpPage tenant={route.query.get('tenant')} />;
  if (!session || page === 'sign-in') return <SignInPage tenant={route.query.get('tenant')} />;
  if (page === 'audit') return <AuditPage />;
  if (page === 'account') return <AccountPage />;
  if (page === 'admin') return <AdminPage />;
  if (page === 'compliance') return <CompliancePage />;
  if (page === 'integrations') return <IntegrationsPage />;
  if (page === 'search') return <SearchPage query={route.query.get('q') ?? ''} />;
  return <ChatPage conversationId={page === 'chat' ? id : undefined} />;
}
