-- CreateEnum
CREATE TYPE "FlagReason" AS ENUM ('spam', 'abuse', 'off_topic', 'other');

-- CreateEnum
CREATE TYPE "ModerationEventKind" AS ENUM ('submission', 'decision', 'erasure', 'author_edit', 'withdrawal', 'flagged', 'flags_dismissed');

-- AlterTable
ALTER TABLE "comments" ADD COLUMN     "edited_at" TIMESTAMPTZ(3),
ADD COLUMN     "flag_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "withdrawn_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "moderation_events" ADD COLUMN     "kind" "ModerationEventKind" NOT NULL DEFAULT 'decision',
ADD COLUMN     "previous_body" TEXT;

-- CreateTable
CREATE TABLE "comment_flags" (
    "id" UUID NOT NULL,
    "comment_id" UUID NOT NULL,
    "client_hash" TEXT NOT NULL,
    "reason" "FlagReason" NOT NULL,
    "note" TEXT,
    "dismissed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "comment_flags_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "comment_flags_comment_id_client_hash_key" ON "comment_flags"("comment_id", "client_hash");

-- CreateIndex
CREATE INDEX "comments_status_flag_count_created_at_id_idx" ON "comments"("status", "flag_count" DESC, "created_at", "id");

-- AddForeignKey
ALTER TABLE "comment_flags" ADD CONSTRAINT "comment_flags_comment_id_fkey" FOREIGN KEY ("comment_id") REFERENCES "comments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- ─── Written by hand: data only ───
-- Events written before `kind` existed: what presentEvent used to derive from the row.
UPDATE "moderation_events" SET "kind" = 'erasure' WHERE "erasure_id" IS NOT NULL;
UPDATE "moderation_events" SET "kind" = 'submission' WHERE "erasure_id" IS NULL AND "from_status" IS NULL;
