export { createMailer, createSmtpTransport, type Mailer, type OutgoingMail, type SmtpOptions } from './mailer.js';
