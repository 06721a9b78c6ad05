/** What other domains may know of a ticket: its id, its account and the user it belongs to. */
export interface TicketRef {
  id: number;
  accountId: string;
  userId: number;
}

/** A conversation entry that a ticket rule writes (the first message of a raise, a reopen's reason). */
export interface ConversationEntry {
  sender: 'admin' | 'user';
  senderName: string;
  body: string;
  showToUser: boolean;
}

/** An entry written but not yet announced: the rule that wrote it announces it once its own change has committed, or undoes it. */
export interface WrittenEntry {
  announce(): void;
  undo(): Promise<void>;
}

/**
 * How the ticket lifecycle writes the conversation entries its rules create, without knowing the
 * messages domain (which implements it, and is wired in by the container).
 */
export interface ConversationWriter {
  /** Stores `entry` at position `seq`, already reserved on the ticket; nothing is published yet. */
  write(ticket: TicketRef, seq: number, entry: ConversationEntry, now: Date): Promise<WrittenEntry>;
}
