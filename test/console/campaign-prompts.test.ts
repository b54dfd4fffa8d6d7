import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { CampaignInput } from '../../src/campaigns/schema';
import { PROMPT_NAMES } from '../../src/campaigns/default-prompts';
import { ADMIN_TOKEN, campaign, shippedCampaigns, startTestServer, type TestServer } from '../helpers/server';
import { passwordHash, signIn, USER, type Admin, campaignFormFields, unescapeHtml } from './helpers';

/**
 * The campaign form's prompts (text and audio, one part or several) and DTMF keys, edited
 * in fields instead of JSON. Round trip: every shipped campaign and hand-made documents with
 * every prompt shape, opened in the form and saved as a browser posts it, give the document
 * the API saves for the same campaign. The schema's errors come back beside the prompt or
 * key they name; the defaults of the campaign's language are the prompts' placeholders.
 */

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(campaigns?: CampaignInput[]): Promise<{ srv: TestServer; admin: Admin }> {
  const srv = startTestServer({ campaigns, env: { ADMIN_USER: USER, ADMIN_PASSWORD_HASH: await passwordHash() } });
  servers.push(srv);
  return { srv, admin: await signIn(srv.app) };
}



/** The placeholder of a field (a prompt's default as the form shows it). */
function placeholderOf(html: string, id: string): string {
  const tag = new RegExp(`<textarea id="${id.replace(/\./g, '\\.')}"[^>]*>`).exec(html)?.[0] ?? '';
  return unescapeHtml(/placeholder="([^"]*)"/.exec(tag)?.[1] ?? '');
}

/** The error shown beside a field, as the page says it. */
const errorBeside = (html: string, key: string): string =>
  unescapeHtml(new RegExp(`<p class="field-error" id="${key.replace(/\./g, '\\.')}-error">([^<]*)</p>`).exec(html)?.[1] ?? '');

const fileOf = (srv: TestServer, id: string) => JSON.parse(fs.readFileSync(path.join(srv.campaignsDir, `${id}.json`), 'utf8')) as Record<string, unknown>;

const AUDIO = 'https://cdn.example.com/prompts/offer%20v2.wav';

/** Hand-made campaigns with every prompt shape and key shape the schema takes. */
const HAND_MADE: CampaignInput[] = [
  campaign({
    id: 'shapes',
    dnis: ['+1 800 555 0101'],
    prompts: {
      // Shown in fields: a string, { text, audio }, a list of both.
      offer: 'Press 5 for a text with a chat link, or 6 to stay on the line.',
      confirmAni: { text: 'We will text the number ending in {lastFour}.', audio: AUDIO },
      readBack: ['You entered', { text: '{number}.', audio: 'https://cdn.example.com/beep.wav' }, 'Press 5 if right.'],
      // Kept in advanced: shapes the fields would rewrite.
      sent: { text: 'Sent. Goodbye.' },
      pending: ['On its way.'],
      failed: [{ text: 'Sorry.' }, 'Please stay on the line.'],
    },
    keys: { accept: '5', decline: '6' },
  }),
  campaign({ id: 'spanish', dnis: ['+1 800 555 0102'], language: 'es-US', prompts: {}, keys: {} }),
  campaign({ id: 'star', dnis: ['+1 800 555 0103'], keys: { confirm: '*', change: '0' }, prompts: { declined: [{ text: 'One', audio: AUDIO }, { text: 'Two', audio: AUDIO }] } }),
  campaign({
    id: 'french',
    dnis: ['+1 800 555 0104'],
    language: 'fr-FR',
    // No default prompts in French: every prompt is written.
    prompts: Object.fromEntries(PROMPT_NAMES.map((n) => [n, n === 'confirmAni' ? 'Numéro finissant par {lastFour}.' : n === 'readBack' ? 'Vous avez tapé {number}.' : `Invite ${n}.`])),
  }),
  campaign({ id: 'whole-keys', dnis: ['+1 800 555 0105'], keys: { accept: '9', decline: '0', confirm: '9', change: '0' } }),
];

describe('prompts and keys in the campaign form', () => {
  it('saves every shipped and hand-made campaign, opened and submitted unchanged, as the API saves it', async () => {
    const documents = [...shippedCampaigns(), ...HAND_MADE];
    const { srv, admin } = await start(documents);
    const { srv: other } = await start(documents);
    for (const doc of documents) {
      const id = doc.id;
      const page = await admin.get(`/admin/campaigns/${id}`);
      expect(page.status).toBe(200);
      const fields = campaignFormFields(page.text);
      // prompts and keys are in the fields; the advanced box holds only shapes the fields cannot show.
      const advanced = JSON.parse(fields.advanced ?? '{}') as Record<string, unknown>;
      if (id === 'shapes') {
        expect(advanced.prompts).toEqual({ sent: { text: 'Sent. Goodbye.' }, pending: ['On its way.'], failed: [{ text: 'Sorry.' }, 'Please stay on the line.'] });
        expect(fields).toMatchObject({
          'prompts.offer.0.text': 'Press 5 for a text with a chat link, or 6 to stay on the line.',
          'prompts.confirmAni.0.audio': AUDIO,
          'prompts.readBack.1.text': '{number}.',
          'prompts.readBack.2.text': 'Press 5 if right.',
          'keys.accept': '5',
          'keys.confirm': '',
        });
      } else {
        expect(advanced).not.toHaveProperty('prompts');
      }
      expect(advanced).not.toHaveProperty('keys');

      const saved = await admin.post(`/admin/campaigns/${id}`, fields);
      expect([id, saved.status, errorBeside(saved.text, 'advanced')]).toEqual([id, 303, '']);

      const current = await request(other.app).get(`/api/campaigns/${id}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      const put = await request(other.app).put(`/api/campaigns/${id}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`).send(current.body.document);
      expect(put.status).toBe(200);
      expect(fileOf(srv, id)).toEqual(fileOf(other, id));
    }
  });

  it('writes a prompt, its audio, a prompt of parts and the keys as the same change through the API does', async () => {
    const { srv, admin } = await start();
    const page = await admin.get('/admin/campaigns/support');
    const saved = await admin.post('/admin/campaigns/support', {
      ...campaignFormFields(page.text),
      'prompts.offer.0.text': ' Press 3 to get a text, or 4 to stay on the line. ',
      'prompts.offer.0.audio': AUDIO,
      'prompts.readBack.0.text': 'You entered {number}.',
      'prompts.readBack.1.text': 'Press 3 if that is right.',
      'prompts.readBack.1.audio': 'https://cdn.example.com/right.wav',
      // A part cleared of its words and audio is no part.
      'prompts.readBack.2.text': '',
      'prompts.readBack.2.audio': '',
      'keys.accept': '3',
      'keys.decline': '4',
      'keys.confirm': '3',
    });
    expect(saved.status).toBe(303);
    const byForm = fileOf(srv, 'support');
    const change = {
      prompts: {
        offer: { text: 'Press 3 to get a text, or 4 to stay on the line.', audio: AUDIO },
        readBack: ['You entered {number}.', { text: 'Press 3 if that is right.', audio: 'https://cdn.example.com/right.wav' }],
      },
      keys: { accept: '3', decline: '4', confirm: '3' },
    };
    expect(byForm).toMatchObject(change);

    const { srv: other } = await start();
    const current = await request(other.app).get('/api/campaigns/support').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    const put = await request(other.app).put('/api/campaigns/support').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ ...current.body.document, ...change });
    expect(put.status).toBe(200);
    expect(byForm).toEqual(fileOf(other, 'support'));

    // Opened again: the fields show it, a play link opens the audio, the change key is on its default.
    const again = await admin.get('/admin/campaigns/support');
    expect(campaignFormFields(again.text)).toMatchObject({ 'prompts.offer.0.audio': AUDIO, 'prompts.readBack.1.text': 'Press 3 if that is right.', 'keys.change': '', 'keys.decline': '4' });
    expect(again.text).toContain(`<a class="button button-quiet" href="${AUDIO}" target="_blank" rel="noopener noreferrer" data-play>Play ↗</a>`);
    // Emptied again, the prompts go back to the defaults.
    const cleared = await admin.post('/admin/campaigns/support', {
      ...campaignFormFields(again.text),
      'prompts.offer.0.text': '',
      'prompts.offer.0.audio': '',
      'prompts.readBack.0.text': '',
      'prompts.readBack.1.text': '',
      'prompts.readBack.1.audio': '',
    });
    expect(cleared.status).toBe(303);
    expect(fileOf(srv, 'support').prompts).toEqual({});
  });

  it("shows the default wording of the campaign's language, keys and country as each prompt's placeholder, and follows a change of language", async () => {
    const { admin } = await start([campaign({ keys: { accept: '5', decline: '6' }, country: 'GB', dnis: ['+44 20 7946 0000'] })]);
    const page = await admin.get('/admin/campaigns/support');
    expect(placeholderOf(page.text, 'prompts.offer.0.text')).toBe(
      'To get a text message with a link to chat with us now, press 5. To stay on the line, press 6.',
    );
    expect(placeholderOf(page.text, 'prompts.enterNumber.0.text')).toBe('Please enter your 11-digit mobile number, then press pound.');
    // The placeholders a prompt may use are listed beside it.
    expect(page.text).toMatch(/May use <code>\{lastFour\}<\/code>: the last four digits of the caller&#39;s number/);

    const saved = await admin.post('/admin/campaigns/support', { ...campaignFormFields(page.text), language: 'es-US' });
    expect(saved.status).toBe(303);
    const again = await admin.get('/admin/campaigns/support');
    expect(placeholderOf(again.text, 'prompts.offer.0.text')).toBe(
      'Para recibir un mensaje de texto con un enlace para chatear con nosotros ahora, oprima 5. Para permanecer en la línea, oprima 6.',
    );
  });

  it('asks for every prompt beside its field when the language has no default prompts, and writes nothing', async () => {
    const { srv, admin } = await start();
    const before = fs.readFileSync(path.join(srv.campaignsDir, 'support.json'), 'utf8');
    const page = await admin.get('/admin/campaigns/support');
    const res = await admin.post('/admin/campaigns/support', { ...campaignFormFields(page.text), language: 'fr-FR', 'prompts.offer.0.text': 'Appuyez sur 1.' });
    expect(res.status).toBe(400);
    for (const name of PROMPT_NAMES.filter((n) => n !== 'offer')) {
      expect([name, errorBeside(res.text, `prompts.${name}`)]).toEqual([name, 'is required: there are no default prompts for language fr-FR']);
      expect(placeholderOf(res.text, `prompts.${name}.0.text`)).toBe('Required: there are no default prompts for fr-FR');
    }
    expect(errorBeside(res.text, 'prompts.offer')).toBe('');
    expect(campaignFormFields(res.text)['prompts.offer.0.text']).toBe('Appuyez sur 1.');
    expect(fs.readFileSync(path.join(srv.campaignsDir, 'support.json'), 'utf8')).toBe(before);
  });

  it.each([
    ['an unknown placeholder', { 'prompts.offer.0.text': 'Press 1, {name}.' }, 'prompts.offer', /^unknown placeholder \{name\}/],
    ['a placeholder of another prompt', { 'prompts.sent.0.text': 'Sent to {lastFour}.' }, 'prompts.sent', /^unknown placeholder \{lastFour\}/],
    ['an audio URL that is not http(s)', { 'prompts.offer.0.text': 'Hello.', 'prompts.offer.0.audio': 'ftp://cdn.example.com/a.wav' }, 'prompts.offer', /^(Audio: )?must be an absolute http\(s\) URL$/],
    [
      "a part's audio URL with a space",
      { 'prompts.readBack.0.text': 'You entered {number}.', 'prompts.readBack.1.text': 'Right?', 'prompts.readBack.1.audio': 'https://cdn.example.com/is right.wav' },
      'prompts.readBack',
      /^Part 2(, audio)?: must not contain spaces/,
    ],
    ['audio without words', { 'prompts.offer.0.audio': AUDIO }, 'prompts.offer', /^write its words too/],
    ['the same accept and decline key', { 'keys.accept': '3', 'keys.decline': '3' }, 'keys.decline', /^accept and decline must differ$/],
    ['a change key equal to the default confirm key', { 'keys.change': '1' }, 'keys.change', /^confirm and change must differ$/],
  ])('shows %s beside its field, keeps what was typed, and writes nothing', async (_name, change, key, message) => {
    const { srv, admin } = await start();
    const before = fs.readFileSync(path.join(srv.campaignsDir, 'support.json'), 'utf8');
    const page = await admin.get('/admin/campaigns/support');
    const res = await admin.post('/admin/campaigns/support', { ...campaignFormFields(page.text), ...change });
    expect(res.status).toBe(400);
    expect(errorBeside(res.text, key)).toMatch(message);
    expect(errorBeside(res.text, 'advanced')).toBe('');
    expect(campaignFormFields(res.text)).toMatchObject(change);
    expect(fs.readFileSync(path.join(srv.campaignsDir, 'support.json'), 'utf8')).toBe(before);
  });

  it.each([
    ['a prompt the fields can show', { prompts: { offer: 'Press 1.' } }, 'set prompts.offer in the form above, not here'],
    ['keys', { keys: { accept: '5' } }, 'set keys in the form above, not here'],
  ])('refuses %s typed in the advanced JSON', async (_name, advanced, message) => {
    const { admin } = await start();
    const page = await admin.get('/admin/campaigns/support');
    const res = await admin.post('/admin/campaigns/support', { ...campaignFormFields(page.text), advanced: JSON.stringify(advanced) });
    expect(res.status).toBe(400);
    expect(res.text).toContain(`<ul class="field-error" id="advanced-error"><li>${message}</li></ul>`);
  });

  it('says beside a prompt kept in the advanced JSON that it is there', async () => {
    const { admin } = await start([campaign({ prompts: { sent: { text: 'Sent. Goodbye.' } } })]);
    const page = await admin.get('/admin/campaigns/support');
    const sent = /<div class="prompt" data-prompt="sent">[\s\S]*?<\/div>\s*(?=<div class="prompt|<\/fieldset>)/.exec(page.text)?.[0] ?? '';
    expect(sent).toContain('In the advanced settings below');
    expect(sent).not.toContain('name="prompts.sent.0.text"');
    // Kept there, the schema's errors about it come back with the advanced settings.
    const res = await admin.post('/admin/campaigns/support', { ...campaignFormFields(page.text), advanced: JSON.stringify({ prompts: { sent: { text: 'Sent to {lastFour}.' } } }) });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/<ul class="field-error" id="advanced-error"><li>prompts\.sent: unknown placeholder \{lastFour\}<\/li><\/ul>/);
  });
});
