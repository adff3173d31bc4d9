-- AlterTable
ALTER TABLE "moderation_events" ADD COLUMN     "forced" BOOLEAN NOT NULL DEFAULT false;
