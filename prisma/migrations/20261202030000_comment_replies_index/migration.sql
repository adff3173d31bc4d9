-- CreateIndex
CREATE INDEX "comments_parent_id_idx" ON "comments"("parent_id");
