import { startTestApp, type TestApp } from '../helpers/app';
import { legacy } from './helpers';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

it('smoke', async () => {
  const r1 = await legacy(t, '/raise_ticket', { form: { type: 'Payment', subject: 'Unable to pay', userId: '6', comments: 'timeout' } });
  console.log(r1.status, r1.text, r1.headers.get('content-type'));
  const r2 = await legacy(t, '/get_tickets/0');
  console.log(r2.status, r2.text);
  const r3 = await legacy(t, '/send_message', { json: { ticketId: 1, ticketMessage: 'hi', sender: 'Admin', sender_name: 'bob', showToUser: false } });
  console.log(r3.status, r3.text);
  const r4 = await legacy(t, '/get_ticket_details/1');
  console.log(r4.status, r4.text);
  const r5 = await legacy(t, '/close_ticket/1', { multipart: { resolutionType: 'x' } });
  console.log(r5.status, r5.text);
  const r6 = await legacy(t, '/close_ticket/1');
  console.log(r6.status, r6.text);
  const r7 = await legacy(t, '/ticket_rating', { form: { ticketId: '1', userId: '6', ratingValue: '9' } });
  console.log(r7.status, r7.text);
  const r8 = await legacy(t, '/ticket_rating', { form: { ticketId: '1', userId: '6', ratingValue: '4' } });
  console.log(r8.status, r8.text);
  const r9 = await legacy(t, '/reopen_ticket', { form: { ticketId: '1', userId: '6', comments: 'again' } });
  console.log(r9.status, r9.text);
  const r10 = await legacy(t, '/get_ticket_details/99');
  console.log(r10.status, r10.text);
  const r11 = await legacy(t, '/openapi.json');
  console.log(r11.status, r11.text.slice(0, 200));
  const r12 = await legacy(t, '/get_tickets/0', { apiKey: null });
  console.log(r12.status, r12.text);
  const r13 = await legacy(t, '/get_tickets/0', { method: 'DELETE' });
  console.log(r13.status, r13.text, r13.headers.get('allow'));
  const r14 = await legacy(t, '/send_message', { json: { ticketId: 1, ticketMessage: 'x'.repeat(70000), sender: 'Admin', sender_name: 'bob', showToUser: false } });
  console.log(r14.status, r14.text);
  const r15 = await legacy(t, '/send_message', { raw: { body: 'x'.repeat(2 * 1024 * 1024), contentType: 'application/json' } });
  console.log(r15.status, r15.text);
  const r16 = await legacy(t, '/get_tickets/0', { json: { fromDate: '01-03-2026', toDate: '28-02-2026' } });
  console.log(r16.status, r16.text);
  const r17 = await legacy(t, '/get_tickets/0', { query: [['userId[$ne]', '0']] });
  console.log(r17.status, r17.text);
});
