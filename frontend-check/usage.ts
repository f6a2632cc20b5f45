// What a frontend developer writes against the types that openapi-typescript generates
// from openapi/openapi.json. check.sh compiles this file with `tsc --noEmit --strict`.
//
// The point is to fail compilation on a breaking API change. So every field used here is
// assigned to an explicitly typed variable (a renamed field or a changed / lost type is an
// error), request bodies are object literals (a renamed or newly required field is an error),
// and enums are mapped exhaustively (a new status needs a label in the UI).
// If the API changes on purpose, update this file in the same commit.

import type { components, paths } from "./generated/schema";

type Schemas = components["schemas"];

// ---------------------------------------------------------------------------------------------
// GET /api/v1/alliances: cursor pagination

type AllianceList = paths["/api/v1/alliances"]["get"]["responses"]["200"]["content"]["application/json"];
type AllianceListQuery = NonNullable<paths["/api/v1/alliances"]["get"]["parameters"]["query"]>;
type AllianceRead = Schemas["AllianceRead"];
type AllianceStatus = Schemas["AllianceStatus"];
type AllianceLevel = Schemas["AllianceLevel"];

const statusLabel: Record<AllianceStatus, string> = {
  active: "aktiv",
  dormant: "ruhend",
  dissolved: "aufgelöst",
};

const levelLabel: Record<AllianceLevel, string> = {
  municipality: "Gemeinde",
  city: "Stadt",
  district: "Landkreis",
};

export function firstAllianceName(page: AllianceList): string | undefined {
  const first: AllianceRead | undefined = page.items[0];
  if (first === undefined) return undefined;
  const name: string = first.name;
  return name;
}

export function describeAlliance(alliance: AllianceRead): string {
  const id: number = alliance.id;
  const slug: string = alliance.slug;
  const state: string = alliance.state;
  const municipality: string | null = alliance.municipality;
  const partnerCount: number = alliance.partner_count;
  const listed: boolean = alliance.listed_in_finder;
  const version: number = alliance.version;
  const updatedAt: string = alliance.updated_at;
  const status: string = statusLabel[alliance.status];
  const level: string = levelLabel[alliance.level];
  const contacts: number | null = alliance.contacts === null ? null : alliance.contacts.length;
  const partnerNames: string[] = alliance.partners.map((partner) => partner.name);
  return [
    `#${id} ${slug} (${state}, ${municipality ?? "–"}): ${status}, ${level}`,
    `${partnerCount} Partner: ${partnerNames.join(", ")}`,
    `Kontakte: ${contacts ?? "verborgen"}; im Finder: ${listed}; v${version}, ${updatedAt}`,
  ].join("\n");
}

export function nextPageQuery(page: AllianceList, previous: AllianceListQuery): AllianceListQuery | null {
  const nextCursor: string | null | undefined = page.next_cursor;
  const total: number | null | undefined = page.total;
  void total;
  if (nextCursor === null || nextCursor === undefined) return null;
  return { ...previous, cursor: nextCursor };
}

export const firstPageQuery: AllianceListQuery = {
  state: "DE-BY",
  status: "active",
  level: "city",
  q: "Fürth",
  sort: "-created_at",
  limit: 50,
  include_total: true,
};

// ---------------------------------------------------------------------------------------------
// Errors: RFC 9457 problem documents (application/problem+json)

type Problem = Schemas["Problem"];
type FieldError = Schemas["FieldError"];

export function problemMessages(problem: Problem): string[] {
  const status: number = problem.status;
  const code: string = problem.code;
  const title: string = problem.title;
  const detail: string | null | undefined = problem.detail;
  const requestId: string | null | undefined = problem.request_id;
  const fieldErrors: FieldError[] = problem.errors ?? [];
  const messages = fieldErrors.map((error) => {
    const loc: (string | number)[] = error.loc;
    const msg: string = error.msg;
    const field: string = loc.filter((part) => part !== "body").join(".");
    return `${field}: ${msg}`;
  });
  return [`${status} ${code}: ${detail ?? title} (${requestId ?? "-"})`, ...messages];
}

// The problem documents an endpoint declares are part of the contract, too.
export type AllianceUpdateConflict =
  paths["/api/v1/alliances/{alliance_id}"]["patch"]["responses"]["412"]["content"]["application/problem+json"];
const conflictIsProblem: Problem = {} as AllianceUpdateConflict;
void conflictIsProblem;

// ---------------------------------------------------------------------------------------------
// POST /api/v1/auth/token (form encoded)

type TokenRequest =
  paths["/api/v1/auth/token"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"];
type TokenResponse = paths["/api/v1/auth/token"]["post"]["responses"]["200"]["content"]["application/json"];

export const loginForm: TokenRequest = {
  grant_type: "password",
  username: "koordination@familie-fuerth.de",
  password: "correct horse battery staple",
};

export interface Session {
  accessToken: string;
  refreshToken: string | null;
  expiresAt: number;
}

export function toSession(token: TokenResponse, now: number): Session {
  const accessToken: string = token.access_token;
  const tokenType: "bearer" = token.token_type;
  const expiresIn: number = token.expires_in;
  const refreshToken: string | null | undefined = token.refresh_token;
  void tokenType;
  return { accessToken, refreshToken: refreshToken ?? null, expiresAt: now + expiresIn * 1000 };
}

// ---------------------------------------------------------------------------------------------
// PATCH /api/v1/alliances/{alliance_id} with If-Match

type AlliancePatch = paths["/api/v1/alliances/{alliance_id}"]["patch"];
type AllianceUpdate = AlliancePatch["requestBody"]["content"]["application/json"];
type AlliancePatchPath = AlliancePatch["parameters"]["path"];
type AlliancePatchHeaders = NonNullable<AlliancePatch["parameters"]["header"]>;
type AlliancePatched = AlliancePatch["responses"]["200"]["content"]["application/json"];

// Every field of a partial update stays optional.
export const emptyUpdate: AllianceUpdate = {};

export const descriptionUpdate: AllianceUpdate = {
  description: "Wir treffen uns monatlich.",
  website: "https://familie-fuerth.de",
  listed_in_finder: true,
  municipality: null,
  founded_on: "2005-03-01",
  status: "dormant",
  level: "district",
};

export async function patchAlliance(
  baseUrl: string,
  session: Session,
  path: AlliancePatchPath,
  body: AllianceUpdate,
  etag: string,
): Promise<AlliancePatched | Problem> {
  const allianceId: number = path.alliance_id;
  const headers: AlliancePatchHeaders = { "If-Match": etag };
  const response = await fetch(`${baseUrl}/api/v1/alliances/${allianceId}`, {
    method: "PATCH",
    headers: {
      Authorization: `Bearer ${session.accessToken}`,
      "Content-Type": "application/json",
      "If-Match": headers["If-Match"] ?? "*",
    },
    body: JSON.stringify(body),
  });
  if (!response.ok) return (await response.json()) as Problem;
  return (await response.json()) as AlliancePatched;
}

// ---------------------------------------------------------------------------------------------
// GET /api/v1/public/alliances: the public Bündnisfinder

type PublicAllianceList =
  paths["/api/v1/public/alliances"]["get"]["responses"]["200"]["content"]["application/json"];
type PublicAllianceRead = Schemas["PublicAllianceRead"];

export function finderEntries(page: PublicAllianceList): string[] {
  const items: PublicAllianceRead[] = page.items;
  return items.map((alliance) => {
    const id: number = alliance.id;
    const name: string = alliance.name;
    const slug: string = alliance.slug;
    const state: string = alliance.state;
    const district: string | null = alliance.district;
    const website: string | null = alliance.website;
    const foundedOn: string | null = alliance.founded_on;
    const partnerCount: number = alliance.partner_count;
    const level: string = levelLabel[alliance.level];
    return `${id} ${name} (/${slug}, ${state}, ${district ?? "–"}, ${level}) ${partnerCount} Partner, ` +
      `seit ${foundedOn ?? "?"}, ${website ?? "keine Website"}`;
  });
}

// The public finder must never carry personal data: no contacts on the public type.
type LacksKey<T, K extends PropertyKey> = K extends keyof T ? false : true;
export const publicHasNoContacts: LacksKey<PublicAllianceRead, "contacts"> = true;
