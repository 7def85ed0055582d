/** The frame of every signed-in page but the chat: a top bar with the places this person may go. */
import type { ComponentChildren } from 'preact';
import { isAdmin, isOfficer, useMe } from '../me.ts';
import { currentSession } from '../session.ts';

export function TopLinks(props: { current?: string }) {
  const [me] = useMe();
  const link = (href: string, label: string, name: string) => (
    <a href={href} aria-current={props.current === name ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <>
      {link('#/chat', 'Chat', 'chat')}
      {link('#/search', 'Search', 'search')}
      {link('#/account', 'Account', 'account')}
      {isAdmin(me) && link('#/admin', 'Admin', 'admin')}
      {isAdmin(me) && link('#/integrations', 'Integrations', 'integrations')}
      {(isAdmin(me) || isOfficer(me)) && link('#/audit', 'Audit log', 'audit')}
      {isOfficer(me) && link('#/compliance', 'Compliance', 'compliance')}
    </>
  );
}

export function PageFrame(props: { title: string; current: string; children: ComponentChildren }) {
  return (
    <div class="page">
      <header class="top-bar">
        <a href="#/chat" class="brand">
          Parley
        </a>
        <span class="who">{currentSession()?.tenant}</span>
        <nav aria-label="Places" class="places">
          <TopLinks current={props.current} />
        </nav>
      </header>
      <main class="page-main">
        <h1>{props.title}</h1>
        {props.children}
      </main>
    </div>
  );
}
