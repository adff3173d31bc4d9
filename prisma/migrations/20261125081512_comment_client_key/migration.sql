-- Existing comments keep a null key: flood control only ever looks seconds back.

-- DropIndex
DROP INDEX "comments_ip_address_created_at_idx";

-- AlterTable
ALTER TABLE "comments" ADD COLUMN     "client_key" TEXT;

-- CreateIndex
CREATE INDEX "comments_client_key_created_at_idx" ON "comments"("client_key", "created_at");
