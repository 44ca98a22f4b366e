import * as Y from 'yjs';
import { addDeal, initBoard, readStages, type Stage } from './board-doc.ts';
import { addContact, initContacts } from './contacts-doc.ts';

/** The stages of a new workspace's sales pipeline, with their win probabilities. */
export const DEFAULT_STAGES: Array<Omit<Stage, 'id'>> = [
  { name: 'Lead in', probability: 10, outcome: 'open' },
  { name: 'Qualified', probability: 25, outcome: 'open' },
  { name: 'Demo', probability: 40, outcome: 'open' },
  { name: 'Proposal', probability: 60, outcome: 'open' },
  { name: 'Negotiation', probability: 80, outcome: 'open' },
  { name: 'Won', probability: 100, outcome: 'won' },
  { name: 'Lost', probability: 0, outcome: 'lost' }
];

// [company, contact, title, value, stage index, days since last activity, tags]
const SAMPLE: Array<[string, string, string, number, number, number, string[]]> = [
  ['Northwind Traders', 'Ana Trujillo', 'Warehouse analytics rollout', 48000, 0, 1, ['inbound']],
  ['Contoso Pharma', 'Miguel Ortiz', 'Lab inventory tracking', 32000, 0, 9, ['webinar']],
  ['Fabrikam Steel', 'Hanna Moos', 'Plant maintenance suite', 75000, 0, 2, []],
  ['Globex Logistics', 'Yoshi Tannamuri', 'Fleet dashboard pilot', 12000, 0, 16, ['trial']],
  ['Initech', 'Peter Gibbons', 'TPS report automation', 8500, 0, 0, ['inbound']],
  ['Umbrella Health', 'Alice Abernathy', 'Clinic scheduling', 27000, 1, 3, ['healthcare']],
  ['Stark Components', 'Pepper Potts', 'Supplier portal', 96000, 1, 5, ['enterprise']],
  ['Wayne Foundation', 'Lucius Fox', 'Grant management', 41000, 1, 12, ['nonprofit']],
  ['Tyrell Systems', 'Rachael Rosen', 'Field service app', 53000, 1, 1, []],
  ['Soylent Foods', 'Sol Roth', 'Distribution CRM migration', 36500, 1, 20, ['migration']],
  ['Cyberdyne Robotics', 'Miles Dyson', 'Support desk integration', 61000, 2, 4, ['enterprise']],
  ['Acme Outdoor', 'Wile Coyote', 'Dealer onboarding', 18000, 2, 8, []],
  ['Vandelay Industries', 'Art Vandelay', 'Import/export workflow', 22000, 2, 2, ['referral']],
  ['Hooli', 'Gavin Belson', 'Partner pipeline analytics', 120000, 2, 6, ['enterprise']],
  ['Pied Piper', 'Monica Hall', 'Team plan upgrade', 9600, 2, 0, ['expansion']],
  ['Massive Dynamic', 'Nina Sharp', 'Research CRM', 88000, 3, 3, ['enterprise']],
  ['Oscorp', 'Felicia Hardy', 'Sales territory planning', 44000, 3, 11, []],
  ['Dunder Mifflin', 'Jan Levinson', 'Regional branch rollout', 15500, 3, 1, ['expansion']],
  ['Aperture Labs', 'Caroline Jones', 'Test subject CRM', 67000, 3, 15, ['trial']],
  ['Gringotts Bank', 'Griphook Stone', 'Client vault portal', 140000, 4, 2, ['enterprise', 'finance']],
  ['Blue Sun Corp', 'Mal Reynolds', 'Cargo tracking renewal', 29000, 4, 7, ['renewal']],
  ['Prestige Worldwide', 'Brennan Huff', 'Event sponsorship CRM', 11000, 4, 0, []],
  ['Wonka Confections', 'Charlie Bucket', 'Factory tour bookings', 38000, 4, 4, ['referral']],
  ['Los Pollos Hermanos', 'Gus Fring', 'Franchise loyalty program', 52000, 5, 3, ['won-q3']],
  ['Bluth Company', 'Michael Bluth', 'Model home sales desk', 24000, 5, 10, []],
  ['Sterling Cooper', 'Joan Holloway', 'Agency client hub', 33000, 5, 6, ['agency']],
  ['Monsters Inc', 'Celia Mae', 'Energy usage reporting', 19000, 6, 21, ['price']],
  ['Buy n Large', 'Shelby Forthright', 'Store network CRM', 210000, 6, 30, ['enterprise', 'competitor']],
  ['Krusty Krab', 'Eugene Krabs', 'POS customer sync', 7000, 0, 4, ['smb']],
  ['Duff Brewing', 'Howard Duff', 'Distributor portal', 26000, 3, 5, []]
];

const DAY = 86_400_000;

/** The sample workspace content: a contacts doc and a pipeline doc that a new workspace starts with. */
export function buildSamplePipeline(init: {
  pipelineId: string;
  workspaceId: string;
  ownerId: string | null;
  now: number;
}): { board: Y.Doc; contacts: Y.Doc } {
  const board = new Y.Doc();
  const contacts = new Y.Doc();
  initBoard(board, { pipelineId: init.pipelineId, workspaceId: init.workspaceId, name: 'Sales pipeline', stages: DEFAULT_STAGES });
  initContacts(contacts, init.workspaceId);
  const stageIds = readStages(board).map((stage) => stage.id);
  SAMPLE.forEach(([company, person, title, value, stageIndex, idleDays, tags], index) => {
    const touched = init.now - idleDays * DAY - index * 3_600_000;
    const email = `${person.split(' ')[0].toLowerCase()}@${company.toLowerCase().replace(/[^a-z]+/g, '')}.example`;
    const contactId = addContact(contacts, { name: person, company, email }, { now: touched });
    addDeal(
      board,
      stageIds[stageIndex],
      {
        title: `${company}: ${title}`,
        value,
        currency: 'USD',
        contactId,
        ownerId: init.ownerId,
        expectedCloseDate: new Date(init.now + (10 + index * 3) * DAY).toISOString().slice(0, 10),
        tags
      },
      { now: touched, position: 'bottom' }
    );
  });
  return { board, contacts };
}
