/**
 * The words of every mail, per language: a subject, the paragraphs, the button, what to do when
 * it was not you. `{tenant}`, `{name}`, `{expires}` (for a new-device notice: the sign-in's time), `{roles}` and
 * `{device}` are filled in by the templates.
 */
import type { MailKind } from './mail-requests.ts';
import type { MailLanguage } from './tenant-branding.ts';

export interface MailWords {
  subject: string;
  greeting: string;
  paragraphs: string[];
  action: string;
  notYou: string;
}

type Catalog = Record<MailKind, MailWords>;

const en: Catalog = {
  invitation: {
    subject: 'You are invited to {tenant} on Parley',
    greeting: 'Hello,',
    paragraphs: [
      'You have been invited to join {tenant} on Parley ({roles}).',
      'The link is valid until {expires}.',
    ],
    action: 'Accept the invitation',
    notYou: 'If you did not expect this invitation, you can ignore this message.',
  },
  'sign-up-verification': {
    subject: 'Finish signing up for {tenant}',
    greeting: 'Hello {name},',
    paragraphs: [
      'Confirm your address to finish creating your account at {tenant}.',
      'The link is valid until {expires}.',
    ],
    action: 'Confirm and sign up',
    notYou: 'If you did not sign up, ignore this message: no account is created without this link.',
  },
  'account-exists': {
    subject: 'Someone tried to sign up for {tenant} with your address',
    greeting: 'Hello,',
    paragraphs: [
      'Someone asked to sign up for {tenant} with this address, which already has an account.',
      'If it was you, sign in instead, or reset your password from the sign-in page.',
    ],
    action: 'Sign in',
    notYou: 'If it was not you, nothing has changed and you can ignore this message.',
  },
  'password-reset': {
    subject: 'Reset your {tenant} password',
    greeting: 'Hello {name},',
    paragraphs: [
      'Someone asked to reset the password of your {tenant} account.',
      'The link works once, until {expires}. Choosing a new password signs you out everywhere.',
    ],
    action: 'Choose a new password',
    notYou: 'If you did not ask for this, ignore this message: your password stays as it is.',
  },
  'new-device': {
    subject: 'New sign-in to your {tenant} account',
    greeting: 'Hello {name},',
    paragraphs: [
      'Your {tenant} account was signed in to from a device it had not used before, at {expires}:',
      '{device}',
    ],
    action: 'Review your sessions',
    notYou: 'If this was not you, end that session on your account page and change your password.',
  },
};

const de: Catalog = {
  invitation: {
    subject: 'Einladung zu {tenant} auf Parley',
    greeting: 'Hallo,',
    paragraphs: [
      'Sie wurden eingeladen, {tenant} auf Parley beizutreten ({roles}).',
      'Der Link gilt bis {expires}.',
    ],
    action: 'Einladung annehmen',
    notYou: 'Wenn Sie diese Einladung nicht erwartet haben, können Sie diese Nachricht ignorieren.',
  },
  'sign-up-verification': {
    subject: 'Registrierung bei {tenant} abschließen',
    greeting: 'Hallo {name},',
    paragraphs: [
      'Bestätigen Sie Ihre Adresse, um Ihr Konto bei {tenant} anzulegen.',
      'Der Link gilt bis {expires}.',
    ],
    action: 'Bestätigen und registrieren',
    notYou:
      'Wenn Sie sich nicht registriert haben, ignorieren Sie diese Nachricht: ohne den Link entsteht kein Konto.',
  },
  'account-exists': {
    subject: 'Registrierungsversuch bei {tenant} mit Ihrer Adresse',
    greeting: 'Hallo,',
    paragraphs: [
      'Jemand wollte sich mit dieser Adresse bei {tenant} registrieren; sie hat dort schon ein Konto.',
      'Wenn Sie es waren, melden Sie sich an oder setzen Sie Ihr Passwort auf der Anmeldeseite zurück.',
    ],
    action: 'Anmelden',
    notYou: 'Wenn Sie es nicht waren, hat sich nichts geändert.',
  },
  'password-reset': {
    subject: 'Passwort für {tenant} zurücksetzen',
    greeting: 'Hallo {name},',
    paragraphs: [
      'Jemand möchte das Passwort Ihres Kontos bei {tenant} zurücksetzen.',
      'Der Link funktioniert einmal, bis {expires}. Ein neues Passwort meldet Sie überall ab.',
    ],
    action: 'Neues Passwort wählen',
    notYou: 'Wenn Sie das nicht waren, ignorieren Sie diese Nachricht: Ihr Passwort bleibt, wie es ist.',
  },
  'new-device': {
    subject: 'Neue Anmeldung bei Ihrem Konto bei {tenant}',
    greeting: 'Hallo {name},',
    paragraphs: [
      'Ihr Konto bei {tenant} wurde am {expires} von einem bisher unbekannten Gerät aus angemeldet:',
      '{device}',
    ],
    action: 'Sitzungen prüfen',
    notYou:
      'Wenn Sie das nicht waren, beenden Sie diese Sitzung auf Ihrer Kontoseite und ändern Sie Ihr Passwort.',
  },
};

const fr: Catalog = {
  invitation: {
    subject: 'Invitation à rejoindre {tenant} sur Parley',
    greeting: 'Bonjour,',
    paragraphs: [
      'Vous êtes invité à rejoindre {tenant} sur Parley ({roles}).',
      "Le lien est valable jusqu'au {expires}.",
    ],
    action: "Accepter l'invitation",
    notYou: "Si vous n'attendiez pas cette invitation, ignorez ce message.",
  },
  'sign-up-verification': {
    subject: 'Terminez votre inscription à {tenant}',
    greeting: 'Bonjour {name},',
    paragraphs: [
      'Confirmez votre adresse pour créer votre compte chez {tenant}.',
      "Le lien est valable jusqu'au {expires}.",
    ],
    action: "Confirmer l'inscription",
    notYou: "Si vous ne vous êtes pas inscrit, ignorez ce message : aucun compte n'est créé sans ce lien.",
  },
  'account-exists': {
    subject: "Tentative d'inscription à {tenant} avec votre adresse",
    greeting: 'Bonjour,',
    paragraphs: [
      "Quelqu'un a voulu s'inscrire à {tenant} avec cette adresse, qui a déjà un compte.",
      'Si c’était vous, connectez-vous, ou réinitialisez votre mot de passe depuis la page de connexion.',
    ],
    action: 'Se connecter',
    notYou: "Si ce n'était pas vous, rien n'a changé.",
  },
  'password-reset': {
    subject: 'Réinitialiser votre mot de passe {tenant}',
    greeting: 'Bonjour {name},',
    paragraphs: [
      "Quelqu'un a demandé à réinitialiser le mot de passe de votre compte {tenant}.",
      "Le lien ne sert qu'une fois, jusqu'au {expires}. Un nouveau mot de passe vous déconnecte partout.",
    ],
    action: 'Choisir un nouveau mot de passe',
    notYou: "Si ce n'était pas vous, ignorez ce message : votre mot de passe ne change pas.",
  },
  'new-device': {
    subject: 'Nouvelle connexion à votre compte {tenant}',
    greeting: 'Bonjour {name},',
    paragraphs: [
      "Votre compte {tenant} s'est connecté depuis un appareil inconnu jusqu'ici, le {expires} :",
      '{device}',
    ],
    action: 'Voir vos sessions',
    notYou:
      "Si ce n'était pas vous, fermez cette session depuis la page de votre compte et changez votre mot de passe.",
  },
};

export const MAIL_CATALOG: Record<MailLanguage, Catalog> = { en, de, fr };
