/** What the app hands every page: the connection in the URL and the path's other parameters. */
export interface PageProps {
  connectionId: string;
  params: Record<string, string>;
}
