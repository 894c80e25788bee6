import { create } from "@bufbuild/protobuf";
import { Code, RpcError } from "@ts-gateway/runtime";
import type { NotesServiceApi } from "./gen/acme/notes/v1/notes_gateway.js";
import {
  type CreateNoteRequest,
  type GetNoteRequest,
  type ListNotesRequest,
  type Note,
  NoteSchema,
} from "./gen/acme/notes/v1/notes_pb.js";

/** The service itself, in memory: served over gRPC by server.ts. */
export class Notes implements NotesServiceApi {
  private readonly notes = new Map<string, Note>();

  async createNote(request: CreateNoteRequest) {
    const id = String(this.notes.size + 1);
    const note = create(NoteSchema, { id, text: request.note?.text, tag: request.note?.tag });
    this.notes.set(id, note);
    return { note };
  }

  async getNote(request: GetNoteRequest) {
    const note = this.notes.get(request.id);
    if (note === undefined) throw new RpcError(`no note ${request.id}`, Code.NotFound);
    return { note };
  }

  async listNotes(request: ListNotesRequest) {
    const notes = [...this.notes.values()].filter(
      (n) => request.tag === "" || n.tag === request.tag,
    );
    return { notes };
  }
}
