-- AlterTable
ALTER TABLE "articles" ADD COLUMN     "comments_open" BOOLEAN NOT NULL DEFAULT true;
